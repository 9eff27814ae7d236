"""The tutorial's client script: register, log in, list the employees with a Bearer token.

Run it against a server started with `make run`:

    python examples/tutorial_client.py

Settings come from the environment:

    PTO_API       the API's base URL          (default http://127.0.0.1:5000)
    PTO_USERNAME  the account to use          (default admin)
    PTO_PASSWORD  its password, 8+ characters (default "correct horse battery")

On a fresh install the first account registered becomes the admin. Run it again and the
registration answers 409 (the account exists): the script says so and logs in as before.
"""

import os
import sys

import requests

BASE = os.environ.get("PTO_API", "http://127.0.0.1:5000").rstrip("/")
credentials = {
    "username": os.environ.get("PTO_USERNAME", "admin"),
    "password": os.environ.get("PTO_PASSWORD", "correct horse battery"),
}

# 1. Register. 201 creates the account; 409 means it already exists, which is fine here.
response = requests.post(f"{BASE}/register", json=credentials, timeout=30)
if response.status_code == 201:
    user = response.json()
    print(f"Registered {user['username']} (role: {user['role']})")
elif response.status_code == 409:
    print(f"{credentials['username']} is already registered; logging in")
else:
    # Every error is JSON: {"code": ..., "name": ..., "message": ..., "errors": {field: [...]}}
    error = response.json()
    sys.exit(f"Registration failed: {response.status_code} {error['message']} {error.get('errors', '')}")

# 2. Log in and keep the access token.
response = requests.post(f"{BASE}/login", json=credentials, timeout=30)
if response.status_code != 200:
    sys.exit(f"Login failed: {response.status_code} {response.json()['message']}")
token = response.json()["access_token"]
print("Logged in")

# 3. List the employees with the token in the Authorization header.
response = requests.get(f"{BASE}/employees", headers={"Authorization": f"Bearer {token}"}, timeout=30)
if response.status_code != 200:
    sys.exit(f"Listing employees failed: {response.status_code} {response.json()['message']}")
employees = response.json()
print(f"Employees ({response.headers.get('X-Total-Count', len(employees))}):")
for employee in employees:
    print(f"  #{employee['id']} {employee['name']}: {employee['hours_balance']} hours")
if not employees:
    print("  (none yet: an admin adds them with POST /employees)")
