// Covers: src/http/error-middleware.ts, src/http/route-pattern.ts, src/http/request-log.ts — what the log
// says of refused and failed requests (route patterns, never paths or queries).
import { expect } from "chai";
import type { CreatedInvite } from "../../src/protocol/index.js";
import { createConversation } from "../support/conversations.js";
import { captureLogs } from "../support/logs.js";
import { rest } from "../support/rest.js";
import { startServerBehindProxy } from "../support/server-behind-proxy.js";

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  route?: string;
  code?: string;
  status?: number;
}

const ACCEPT_ROUTE = "/api/v1/invites/:token/accept";

describe("the log of a refused invite accept", () => {
  it("names the route's pattern, never the token, whether refused with 401, 429 or 503", async () => {
    const logs = captureLogs("debug");
    const node = await startServerBehindProxy({
      logger: logs.logger,
      env: { RATE_LIMIT_REQUESTS_PER_MINUTE: "5" },
    });
    const { server, proxy } = node;
    try {
      const owner = rest(server.url, server.token("olga"));
      const c = await createConversation(owner);
      const invite = await owner.post<CreatedInvite>(`/api/v1/conversations/${c.id}/invites`, {
        role: "participant",
      });
      expect(invite.status).to.equal(201);
      const token = invite.body.token;
      const accept = `/api/v1/invites/${token}/accept`;
      const as = (id: string) => ({ "x-request-id": id });

      // 401: no bearer token, then one that is no token at all (with the invite's token in the query).
      expect((await rest(server.url).post(accept, undefined, as("without-bearer"))).status).to.equal(401);
      const forged = rest(server.url, "not-a-token");
      expect((await forged.post(`${accept}?invite=${token}`, undefined, as("bad-bearer"))).status).to.equal(
        401,
      );

      // 429: a user who spent its requests of the minute.
      const hasty = rest(server.url, server.token("hasty"));
      for (let i = 0; i < 5; i++) expect((await hasty.get("/api/v1/me")).status).to.equal(200);
      const limited = await hasty.post(accept, undefined, as("rate-limited"));
      expect(limited.status).to.equal(429);

      // The token is still good: the refusals above would have logged a usable invite.
      const ida = rest(server.url, server.token("ida"));
      expect((await ida.post(accept, undefined, as("accepted"))).status).to.equal(200);

      // 503: PostgreSQL is unreachable while a known user accepts.
      const late = rest(server.url, server.token("late"));
      expect((await late.get("/api/v1/me")).status).to.equal(200);
      proxy.cut();
      const failed = await late.post(accept, undefined, as("database-away"));
      proxy.restore();
      expect(failed.status).to.equal(503);

      expect(logs.lines().filter((l) => l.includes(token))).to.deep.equal([]);
      const logged = logs.lines().map((l) => JSON.parse(l) as LogLine);
      const about = (requestId: string) => logged.filter((l) => l.requestId === requestId);
      for (const [requestId, msg, code] of [
        ["without-bearer", "request refused", "unauthorized"],
        ["bad-bearer", "request refused", "unauthorized"],
        ["rate-limited", "request refused", "rate_limited"],
        ["database-away", "request failed", "unavailable"],
      ] as const) {
        const line = about(requestId).find((l) => l.msg === msg);
        expect(line, requestId).to.include({ code, route: ACCEPT_ROUTE });
        expect(line?.level, requestId).to.equal(msg === "request failed" ? 50 : 20);
      }
      // Every line about these requests (the refusal, the request line) holds no path, only routes.
      for (const id of ["without-bearer", "bad-bearer", "rate-limited", "accepted", "database-away"]) {
        expect(about(id).length, id).to.be.greaterThan(0);
        for (const line of about(id)) expect(line).to.not.have.property("path");
      }
    } finally {
      await node.close();
    }
  });
});
