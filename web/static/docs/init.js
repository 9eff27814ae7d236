// Starts Swagger UI on the page's #swagger-ui element. A file of its own, not an inline
// script, so the page works under a Content-Security-Policy of script-src 'self'.
"use strict";

const openapiUrl = new URL(document.getElementById("swagger-ui").dataset.openapiUrl, window.location.href);
// The app's root, where the document lives (OPENAPI_URL_PREFIX is "/"), without the trailing slash.
const thisServer = new URL(".", openapiUrl).href.replace(/\/$/, "");

// "Try it out" calls the server that served this page: the only one its connect-src 'self' lets
// it reach, whatever public URL the document names for clients elsewhere (Insomnia, scripts).
const ThisServerPlugin = () => ({
  statePlugins: {
    spec: {
      wrapActions: {
        updateJsonSpec: (updateJsonSpec) => (spec) =>
          updateJsonSpec({ ...spec, servers: [{ url: thisServer, description: "This server" }] }),
      },
    },
  },
});

window.ui = SwaggerUIBundle({
  url: openapiUrl.href,
  dom_id: "#swagger-ui",
  plugins: [ThisServerPlugin],
  deepLinking: true,
  persistAuthorization: true, // keep the bearer token across reloads (in localStorage)
  displayRequestDuration: true,
  validatorUrl: null, // the default sends the document to validator.swagger.io
});
