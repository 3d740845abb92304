/**
 * Markdown for the widget: what a model or a person wrote, parsed by marked and cleaned by DOMPurify
 * into DOM nodes (never a string handed to innerHTML). Only text formatting survives: no script, no
 * style, no image or frame, no form; links only to http(s) and mailto, opened in a new tab without
 * access to the page.
 */
import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const ALLOWED_TAGS = [
  "p",
  "br",
  "strong",
  "em",
  "del",
  "s",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "a",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "span",
];

let hooked = false;

/** Every link opens in a new tab, without `window.opener` and without sending the page's address. */
function hookLinks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
    // Only a code block's language may name a class: text must never dress up as the widget's own
    // parts (a fake "message from Alice" drawn with the widget's classes).
    const cls = node.getAttribute("class");
    if (cls !== null && !/^language-[\w-]{1,40}$/.test(cls)) node.removeAttribute("class");
  });
}

/** The text as sanitized DOM nodes, ready to put in the page. */
export function renderMarkdown(text: string): DocumentFragment {
  hookLinks();
  const html = marked.parse(text) as string;
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "class", "start", "align"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

/** Gives each code block a copy button (its text, as the code shows it). */
export function addCopyButtons(root: ParentNode): void {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", () => {
      void navigator.clipboard?.writeText(code?.textContent ?? pre.textContent ?? "").then(
        () => (button.textContent = "Copied"),
        () => (button.textContent = "Copy failed"),
      );
    });
    pre.prepend(button);
  }
}
