/**
 * The host page of `/embed.html`: Confab's widget mounted with a development token. A host app
 * would mint its own JWT and `import { mount } from "<confab>/widget/confab-widget.js"`.
 */
import { fetchDevToken } from "../sdk/rest-client.js";
import { mount } from "../widget/confab-widget.js";

const sub = localStorage.getItem("confab.embed.user") ?? `guest-${crypto.randomUUID().slice(0, 8)}`;
localStorage.setItem("confab.embed.user", sub);
const params = new URLSearchParams(location.search);
const conversationId = params.get("conversation") ?? localStorage.getItem("confab.embed.conversation");
const invite = params.get("invite");
const widget = mount(document.getElementById("chat")!, {
  url: location.origin,
  agentId: "00000000-0000-4000-8000-000000000001", // the demo assistant: no key or network needed
  getToken: () => fetchDevToken(location.origin, sub, sub),
  ...(conversationId && !invite ? { conversationId } : {}),
  ...(invite ? { invite } : {}),
});
void widget.conversationId.then((id) => {
  localStorage.setItem("confab.embed.conversation", id);
  if (invite) history.replaceState(null, "", location.pathname);
});
