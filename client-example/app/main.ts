/**
 * The full app (`/app.html`): sign in by name, a list of conversations, new chats with an agent or from a
 * template, and the open conversation drawn by the widget's views over the SDK's conversation handle.
 * It holds no protocol logic: the SDK's `ConfabClient` and its handles do it all.
 */
import { ConfabClient } from "../../sdk/confab-client.js";
import { ConfabError, describeError } from "../../sdk/errors.js";
import { fetchDevToken } from "../../sdk/rest-client.js";
import { showError } from "./banner.js";
import { ui } from "./elements.js";
import { forgetIdentity, loadIdentity, saveIdentity, slug, type Identity } from "./identity.js";
import { Pane } from "./pane.js";
import { Sidebar } from "./sidebar.js";

let client: ConfabClient | null = null;

/** Signs in as `identity`: connects, loads the sidebar, and opens an invite's or the last conversation. */
async function start(identity: Identity): Promise<void> {
  const origin = location.origin;
  const c = new ConfabClient({
    url: origin,
    getToken: () => fetchDevToken(origin, identity.sub, identity.name),
  });
  client = c;
  let pane: Pane | null = null;
  const listening = new AbortController();
  const sidebar = new Sidebar(
    c,
    (id) => pane?.open(id),
    () => pane?.openId ?? null,
    listening.signal,
  );
  pane = new Pane(c, sidebar);
  c.onStatus((status) => {
    ui.connection.dataset.state = status;
    ui.connection.textContent = status === "connecting" ? "reconnecting…" : status;
    pane?.connectionChanged();
  });
  c.onError(showError);
  try {
    await sidebar.load();
  } catch (err) {
    client = null;
    listening.abort();
    c.close();
    throw err;
  }
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.signOut.hidden = false;
  ui.connection.hidden = false;
  ui.whoami.textContent = `${identity.name} · ${identity.sub}`;
  const opened = (await acceptInvite(c)) ?? pane.lastOpened();
  if (opened && c.conversations().get(opened)) pane.open(opened);
}

/** Opened from an invite link: joins the conversation it names, then forgets the token. */
async function acceptInvite(c: ConfabClient): Promise<string | null> {
  const invite = new URLSearchParams(location.search).get("invite");
  if (!invite) return null;
  history.replaceState(null, "", location.pathname);
  try {
    return (await c.acceptInvite(invite)).id;
  } catch (err) {
    const gone = err instanceof ConfabError && err.code === "not_found";
    showError(gone ? new Error("This invite link is no longer valid.") : err);
    return null;
  }
}

function showLogin(identity: Identity | null, error?: unknown): void {
  ui.login.hidden = false;
  ui.loginName.value = identity?.name ?? "";
  ui.loginSub.value = identity?.sub ?? "";
  if (error !== undefined) {
    ui.loginError.textContent = describeError(error);
    ui.loginError.hidden = false;
  }
  ui.loginName.focus();
}

ui.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.loginName.value.trim();
  if (!name || client) return;
  const identity = { sub: ui.loginSub.value.trim() || slug(name), name };
  ui.loginError.hidden = true;
  start(identity).then(
    () => saveIdentity(identity),
    (err: unknown) => showLogin(identity, err),
  );
});

ui.signOut.addEventListener("click", () => {
  client?.close();
  forgetIdentity();
  localStorage.removeItem("confab.conversation");
  location.reload();
});

const remembered = loadIdentity();
if (remembered) start(remembered).catch((err: unknown) => showLogin(remembered, err));
else showLogin(null);
