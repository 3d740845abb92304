import { expect } from "chai";
import type { ConversationResource } from "../../src/protocol/index.js";
import { rest, type RestClient } from "./rest.js";

/** The demo agent every fresh database has (seeded by the migrations): it needs no key and no network. */
export const DEMO_AGENT_ID = "00000000-0000-4000-8000-000000000001";

/** A node a test can reach: its URL, and tokens it accepts. */
export interface TokenIssuer {
  url: string;
  token(sub: string): string;
}

/**
 * Creates a conversation with the demo agent (unless `fields` name another) over REST, as `api`'s
 * user, and returns it; anything but 201 fails the test.
 */
export async function createConversation(
  api: RestClient,
  fields: Record<string, unknown> = {},
): Promise<ConversationResource> {
  const res = await api.post<ConversationResource>("/api/v1/conversations", {
    agentId: DEMO_AGENT_ID,
    ...fields,
  });
  expect(res.status, `creating a conversation: ${JSON.stringify(res.body)}`).to.equal(201);
  return res.body;
}

/** The id of a new conversation of user `sub` with the demo agent, created on `node`. */
export async function newConversation(
  node: TokenIssuer,
  sub: string,
  fields: Record<string, unknown> = {},
): Promise<string> {
  return (await createConversation(rest(node.url, node.token(sub)), fields)).id;
}
