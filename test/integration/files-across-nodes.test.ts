// Covers: src/files/ (file-links.ts: one key on every node; file-service.ts), src/chat/turn-starter.ts,
// on two nodes sharing PostgreSQL and Redis.
import { expect } from "chai";
import { call, connect, nextEvent, observeAnswer, type ChatClient } from "../support/clients.js";
import { startCluster, type TestCluster } from "../support/cluster.js";
import { newConversation } from "../support/conversations.js";
import { png, uploaded } from "../support/files.js";
import { rest } from "../support/rest.js";

describe("files across two nodes", () => {
  let cluster: TestCluster;
  const sockets: ChatClient[] = [];

  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await cluster.close();
  });

  const node = (i: number) => cluster.nodes[i]!;

  it("a file uploaded to one node is sent from the other, seen on both, and its link works on either", async () => {
    const conversationId = await newConversation(node(0), "nia");
    const image = png(30, 20);
    const file = await uploaded(node(0).url, node(0).token("nia"), conversationId, image, "both.png");
    const here = await connect(node(0).url, node(0).token("nia"));
    const there = await connect(node(1).url, node(1).token("nia"));
    sockets.push(here, there);
    await call(here, "conversation:join", { conversationId });
    await call(there, "conversation:join", { conversationId });
    const seen = nextEvent(here, "message:created", (e) => e.message.role === "user");
    const answer = observeAnswer(here, conversationId);
    await call(there, "message:send", { conversationId, content: "", fileIds: [file.id] });
    expect((await seen).message.parts).to.deep.include({
      type: "file",
      fileId: file.id,
      name: "both.png",
      mediaType: "image/png",
      size: image.length,
      width: 30,
      height: 20,
    });
    expect((await answer).text).to.include("30×20 pixels");

    const link = await rest(node(0).url, node(0).token("nia")).get<{ url: string }>(
      `/api/v1/files/${file.id}/url`,
    );
    for (const i of [0, 1]) {
      const res = await fetch(`${node(i).url}${link.body.url}`);
      expect(res.status, `node ${i}`).to.equal(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(image)).to.equal(true);
    }
  });
});
