import { newId } from "../../sdk/ids.js";

/** Who the app signs in as: a name and the user id (`sub`) of the development tokens it asks for. */
export interface Identity {
  sub: string;
  name: string;
}

const USER_KEY = "confab.user";

/** The identity this browser signed in with before, if any. */
export function loadIdentity(): Identity | null {
  try {
    const stored = JSON.parse(localStorage.getItem(USER_KEY) ?? "null") as Partial<Identity> | null;
    if (stored && typeof stored.sub === "string" && typeof stored.name === "string" && stored.sub) {
      return { sub: stored.sub, name: stored.name };
    }
  } catch {
    // A damaged entry: ask again.
  }
  return null;
}

export function saveIdentity(identity: Identity): void {
  localStorage.setItem(USER_KEY, JSON.stringify(identity));
}

export function forgetIdentity(): void {
  localStorage.removeItem(USER_KEY);
}

/** A user id made from a name: "Ada Lovelace" → "ada-lovelace". */
export function slug(name: string): string {
  const s = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s || "user-" + newId().slice(0, 8);
}
