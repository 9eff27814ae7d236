"""HTTP resources: one flask-smorest blueprint per module that parses, authorizes, calls the rules,
commits once and serializes."""
