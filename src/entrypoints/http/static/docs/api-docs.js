// Starts Swagger UI on the API's docs page (entrypoints/http/api_docs.py). A file rather than the
// inline script Litestar's page has, so that the page's Content-Security-Policy allows scripts
// from this origin only. The schema's URL comes from the page; no validator badge (it would call
// validator.swagger.io), no top bar to load other schemas.
"use strict";

(() => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
