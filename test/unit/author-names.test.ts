import { expect } from "chai";
import { withAuthors } from "../../src/chat/prompt.js";
import { vendorName } from "../../src/providers/author-name.js";

describe("authors' names for the model", () => {
  it("keeps a name OpenAI and Groq accept, and makes any other one acceptable and its own", () => {
    expect(vendorName("Vera")).to.equal("Vera");
    expect(vendorName("ann_lee-2")).to.equal("ann_lee-2");
    const names = ["Коля Smith", "Оля Smith", "Ada Lovelace", "李雷", "王芳", "a".repeat(80)].map(vendorName);
    for (const name of names) expect(name).to.match(/^[A-Za-z0-9_-]{1,64}$/);
    expect(new Set(names).size).to.equal(names.length);
    expect(vendorName("Коля Smith")).to.match(/^Smith_[0-9a-f]{8}$/);
  });

  it("names the authors only when more than one wrote, and tells two of one name apart", () => {
    const one = withAuthors([
      { role: "user", content: "a", authorId: "u1", authorName: "Sam" },
      { role: "assistant", content: "b" },
      { role: "user", content: "c", authorId: "u1", authorName: "Sam" },
    ]);
    expect(one.some((m) => m.name !== undefined)).to.equal(false);

    const several = withAuthors([
      { role: "user", content: "a", authorId: "u1", authorName: "Sam" },
      { role: "assistant", content: "b" },
      { role: "user", content: "c", authorId: "u2", authorName: "Sam" },
      { role: "user", content: "d", authorId: null, authorName: null },
      { role: "user", content: "e", authorId: "u3", authorName: null },
    ]);
    expect(several.map((m) => m.name)).to.deep.equal(["Sam", undefined, "Sam (2)", undefined, "u3"]);
  });
});
