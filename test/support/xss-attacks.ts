/**
 * Markup that would run script if a face let it become HTML. Each is sent as a message and comes back
 * as an answer, or given as a tool call's data: none may run anything.
 */
export const XSS = [
  `<script>window.__xss = 1</script>`,
  `<img src=x onerror="window.__xss = 2">`,
  `<svg onload="window.__xss = 3"><circle r="1"/></svg>`,
  `<a href="javascript:window.__xss = 4">click me</a>`,
  `[click me](javascript:window.__xss=5)`,
  `[data link](data:text/html;base64,PHNjcmlwdD53aW5kb3cub3BlbmVyLl9feHNzPTY8L3NjcmlwdD4=)`,
  `<iframe src="javascript:window.__xss = 7"></iframe>`,
  `<div onmouseover="window.__xss = 8">hover me</div>`,
  `<img src="x" onerror="window.__xss = 9"`,
  `![picture](x" onerror="window.__xss=10)`,
  `<math><mtext><table><mglyph><style><img src=x onerror="window.__xss = 11">`,
  `<details open ontoggle="window.__xss = 12">open</details>`,
  `<a href="JaVaScRiPt:window.__xss = 13">mixed case</a>`,
  `<svg><script>window.__xss = 14</script></svg>`,
  `<object data="javascript:window.__xss = 15"></object>`,
  `[entity](&#106;avascript:window.__xss=16)`,
  `<form action="javascript:window.__xss = 17"><button>go</button></form>`,
  `<style>*{background:url("javascript:window.__xss=18")}</style>`,
  `<a href="vbscript:msgbox(19)">vb</a>`,
  "```html\n<script>window.__xss = 20</script>\n```",
  `<b onclick="window.__xss = 21">bold</b> <input autofocus onfocus="window.__xss = 22">`,
  `<span class="message user other" data-id="x" aria-label="Alice"><span class="author">Alice</span><span class="bubble">a fake message</span></span>`,
];
