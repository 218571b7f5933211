// Renders the OpenAPI document of /api/v1: operations grouped by tag, then the shared schemas.
// Everything from the document is inserted as text, never as HTML.

const METHODS = ["get", "post", "patch", "put", "delete"];
const MAX_DEPTH = 3;

const root = document.getElementById("api-reference");
const labels = JSON.parse(document.getElementById("api-docs-labels").textContent);
const specUrl = document.getElementById("main").dataset.specUrl;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== "") {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

function resolve(spec, node) {
  if (!node || !node.$ref) {
    return node || {};
  }
  const target = node.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at?.[key], spec);
  return target || {};
}

function typeLabel(schema) {
  if (schema.$ref) {
    return refName(schema.$ref);
  }
  if (schema.enum) {
    return `${labels.oneOf} ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`;
  }
  const types = [].concat(schema.type ?? labels.anyJson);
  const main = types.map((type) => {
    if (type === "array") {
      return `${labels.arrayOf} ${typeLabel(schema.items || {})}`;
    }
    return schema.format && type !== "null" ? `${type} (${schema.format})` : type;
  });
  return main.join(" | ");
}

function badges(schema, required) {
  const names = [required ? labels.required : labels.optional];
  if (schema.readOnly) names.push(labels.readOnly);
  if (schema.writeOnly) names.push(labels.writeOnly);
  return names.map((name) => el("span", { class: "badge" }, name));
}

function schemaView(spec, schema, depth = 0) {
  const target = resolve(spec, schema);
  const wrapper = el("div", { class: "api-schema" }, el("span", { class: "schema-type" }, typeLabel(schema)));
  if (target.description) {
    wrapper.append(el("p", {}, target.description));
  }
  if (depth >= MAX_DEPTH) {
    return wrapper;
  }
  if (target.properties) {
    const required = new Set(target.required || []);
    const rows = Object.entries(target.properties).map(([name, property]) => {
      const details = resolve(spec, property);
      const nested = details.properties || details.items?.$ref ? schemaView(spec, details.items || property, depth + 1) : "";
      return el(
        "tr",
        {},
        el("td", {}, el("code", {}, name)),
        el("td", {}, el("span", { class: "schema-type" }, typeLabel(property)), ...badges(details, required.has(name))),
        el("td", {}, details.description || "", nested),
      );
    });
    wrapper.append(
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, el("th", {}, labels.name), el("th", {}, labels.type), el("th", {}, labels.description))),
        el("tbody", {}, ...rows),
      ),
    );
  } else if (target.type === "array" && target.items) {
    wrapper.append(schemaView(spec, target.items, depth + 1));
  }
  return wrapper;
}

function parametersView(spec, operation) {
  const parameters = (operation.parameters || []).map((parameter) => resolve(spec, parameter));
  if (!parameters.length) {
    return "";
  }
  const rows = parameters.map((parameter) =>
    el(
      "tr",
      {},
      el("td", {}, el("code", {}, parameter.name)),
      el("td", {}, parameter.in),
      el("td", {}, el("span", { class: "schema-type" }, typeLabel(parameter.schema || {})), ...badges({}, parameter.required)),
      el("td", {}, parameter.description || ""),
    ),
  );
  return el(
    "section",
    {},
    el("h4", {}, labels.parameters),
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el("tr", {}, el("th", {}, labels.name), el("th", {}, labels.location), el("th", {}, labels.type), el("th", {}, labels.description)),
      ),
      el("tbody", {}, ...rows),
    ),
  );
}

function contentView(spec, content) {
  const media = Object.values(content || {})[0];
  return media ? schemaView(spec, media.schema || {}) : el("p", {}, labels.noBody);
}

function requestBodyView(spec, operation) {
  if (!operation.requestBody) {
    return "";
  }
  const body = resolve(spec, operation.requestBody);
  return el(
    "section",
    {},
    el("h4", {}, labels.requestBody, ...badges({}, body.required)),
    contentView(spec, body.content),
  );
}

function responsesView(spec, operation) {
  // Sorted, as JavaScript objects list integer-like keys ("404") before others ("2XX").
  const entries = Object.entries(operation.responses || {}).sort(([a], [b]) => a.localeCompare(b));
  const items = entries.map(([status, response]) => {
    const details = resolve(spec, response);
    const name = response.$ref ? ` (${refName(response.$ref)})` : "";
    return el(
      "li",
      {},
      el("strong", {}, status + name),
      " ",
      details.description || "",
      details.content && !response.$ref ? contentView(spec, details.content) : "",
    );
  });
  return el("section", {}, el("h4", {}, labels.responses), el("ul", {}, ...items));
}

function operationView(spec, path, method, operation) {
  return el(
    "details",
    { class: "op", id: operation.operationId || `${method}-${path}` },
    el(
      "summary",
      {},
      el("span", { class: `method method-${method}` }, method.toUpperCase()),
      el("code", { class: "op-path" }, path),
      el("span", { class: "op-summary" }, operation.summary || ""),
    ),
    el(
      "div",
      { class: "op-body" },
      operation.description ? el("p", {}, operation.description) : "",
      el("p", { class: "op-id" }, `${labels.operationId}: `, el("code", {}, operation.operationId || "")),
      parametersView(spec, operation),
      requestBodyView(spec, operation),
      responsesView(spec, operation),
    ),
  );
}

function operationsByTag(spec) {
  const groups = new Map((spec.tags || []).map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const tag of operation.tags?.length ? operation.tags : ["api"]) {
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push(operationView(spec, path, method, operation));
      }
    }
  }
  return groups;
}

function render(spec) {
  const groups = operationsByTag(spec);
  const servers = (spec.servers || []).map((server) => server.url).join(", ");
  const toc = el(
    "nav",
    { class: "api-toc", "aria-label": labels.contents },
    el("ul", {}, ...[...groups.keys(), labels.schemas].map((name) => el("li", {}, el("a", { href: `#tag-${name}` }, name)))),
  );
  const sections = [...groups].map(([tag, operations]) =>
    el("section", { class: "api-tag", id: `tag-${tag}` }, el("h2", {}, tag), ...operations),
  );
  const schemas = Object.entries(spec.components?.schemas || {}).map(([name, schema]) =>
    el("details", { class: "op", id: `schema-${name}` }, el("summary", {}, el("code", {}, name)), el("div", { class: "op-body" }, schemaView(spec, schema))),
  );
  root.replaceChildren(
    el("p", { class: "api-meta" }, `${labels.version} ${spec.info?.version ?? ""} · ${labels.server} `, el("code", {}, servers)),
    toc,
    ...sections,
    el("section", { class: "api-tag", id: `tag-${labels.schemas}` }, el("h2", {}, labels.schemas), ...schemas),
  );
}

async function main() {
  try {
    const response = await fetch(specUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    render(await response.json());
  } catch (error) {
    console.error("api docs:", error);
    root.replaceChildren(el("p", { class: "flash flash-error", role: "alert" }, labels.loadFailed));
  }
}

main();
