// Checks Adaptive Cards with the official renderer library (npm `adaptivecards`), as a Teams client would read them.
// Usage: node tests/cards/validate-cards.mjs <card.json>...
// For each card: AdaptiveCard.parse (parse events: unknown element or action types, bad property values), then
// validateProperties() (validation events: missing labels or error messages on required inputs, duplicate ids,
// unsupported version...), then a property-by-property round trip (a property the library does not know is dropped
// silently by parse, so it is reported here), then a render into a jsdom document. Prints one JSON line per card
// ({file, events[]}) and exits 1 when any card has an event.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM } from "jsdom";

const require = createRequire(import.meta.url);

// The package's ESM build imports paths without extensions, which Node refuses; its UMD bundle needs a window at load.
const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true, url: "http://localhost/" });
globalThis.window = dom.window;
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { get: () => dom.window[name], configurable: true });
  }
}
// The library logs to the console (e.g. that markdown is not enabled); our output is one JSON line per card on stdout.
const print = (line) => process.stdout.write(line + "\n");
console.log = (...args) => console.error(...args);
const AC = require("adaptivecards/dist/adaptivecards.js");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate-cards.mjs <card.json>...");
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  const events = [];
  try {
    const json = JSON.parse(readFileSync(file, "utf8"));
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(json, context);
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      events.push({ phase: "parse", event: AC.ValidationEvent[e.event] ?? e.event, message: e.message });
    }
    for (const e of card.validateProperties().validationEvents) {
      events.push({ phase: "validate", event: AC.ValidationEvent[e.event] ?? e.event, message: e.message });
    }
    for (const path of dropped(json, card.toJSON(), "")) {
      events.push({ phase: "round-trip", event: "UnknownProperty", message: `${path} is not a property the library knows` });
    }
    const rendered = card.render();
    if (!rendered) {
      events.push({ phase: "render", event: "NotRendered", message: "render() returned nothing" });
    }
  } catch (error) {
    events.push({ phase: "load", event: "Exception", message: String(error?.stack ?? error) });
  }
  if (events.length > 0) {
    failed++;
  }
  print(JSON.stringify({ file, events }));
}
process.exit(failed > 0 ? 1 : 0);

// Paths present in what we wrote and absent from what the library serializes back. Only presence is compared: the
// library may re-order members or add defaults.
function* dropped(ours, theirs, path) {
  if (Array.isArray(ours)) {
    for (let i = 0; i < ours.length; i++) {
      yield* dropped(ours[i], Array.isArray(theirs) ? theirs[i] : undefined, `${path}[${i}]`);
    }
  } else if (ours !== null && typeof ours === "object") {
    for (const [name, value] of Object.entries(ours)) {
      const at = path ? `${path}.${name}` : name;
      // Action data is free-form; what it holds is ours, not the schema's.
      if (name === "data") {
        continue;
      }
      if (theirs === null || typeof theirs !== "object" || !(name in theirs)) {
        yield at;
      } else {
        yield* dropped(value, theirs[name], at);
      }
    }
  }
}
