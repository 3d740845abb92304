import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT } from "../support/server-process.js";

/** Every .ts file below a folder of the project, as a path relative to the project. */
function sources(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(PROJECT_ROOT, dir))) {
      const relative = path.join(dir, name);
      if (statSync(path.join(PROJECT_ROOT, relative)).isDirectory()) walk(relative);
      else if (name.endsWith(".ts")) found.push(relative);
    }
  };
  walk(folder);
  return found;
}

/**
 * What a file imports (static imports and exports, bare `import "x"`, and dynamic `import("x")`):
 * each module specifier, resolved to a project path when it is relative.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const specifiers = patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!));
  return specifiers.map((s) => (s.startsWith(".") ? path.join(path.dirname(file), s) : s));
}

function offending(files: string[], forbidden: (imported: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((imported) => `${file} imports ${imported}`),
  );
}

describe("the layering", () => {
  it("keeps src/protocol a leaf: it imports zod and itself only", () => {
    const files = sources("src/protocol");
    expect(files.length).to.be.greaterThan(3);
    expect(offending(files, (i) => i !== "zod" && !i.startsWith("src/protocol/"))).to.deep.equal([]);
  });

  it("has the client example import nothing of the server but src/protocol", () => {
    const files = sources("client-example");
    expect(files.length).to.be.greaterThan(2);
    expect(offending(files, (i) => i.startsWith("src/") && !i.startsWith("src/protocol/"))).to.deep.equal([]);
  });

  // The SDK and the widget are what host pages load: the wire types and each other only. The SDK
  // never reaches into the widget or the client example, the widget only into the SDK.
  for (const [folder, forbidden] of [
    ["sdk", ["client-example/", "widget/"]],
    ["widget", ["client-example/"]],
  ] as const) {
    it(`has ${folder}/ import nothing of the server but src/protocol, nor ${forbidden.join(" or ")}`, () => {
      const files = sources(folder);
      expect(files.length).to.be.greaterThan(2);
      const outside = (i: string) =>
        (i.startsWith("src/") && !i.startsWith("src/protocol/")) || forbidden.some((f) => i.startsWith(f));
      expect(offending(files, outside)).to.deep.equal([]);
    });
  }

  it("has no module below the transport layers import them: only realtime/, http/ and the composition root do", () => {
    const transports = ["src/realtime/", "src/http/"];
    const roots = ["src/app.ts", "src/main.ts"];
    const files = sources("src").filter(
      (f) => !transports.some((t) => f.startsWith(t)) && !roots.includes(f),
    );
    expect(files.length).to.be.greaterThan(40);
    expect(offending(files, (i) => transports.some((t) => i.startsWith(t)))).to.deep.equal([]);
  });

  it("lets only the database layer touch Sequelize and its models, and only its repositories query", () => {
    const outside = sources("src").filter((f) => !f.startsWith("src/db/"));
    expect(outside.length).to.be.greaterThan(40);
    expect(offending(outside, (i) => i === "sequelize" || i.startsWith("src/db/models/"))).to.deep.equal([]);
    // Inside it, the repositories alone query (and the migrator, which runs the migrations).
    const queries =
      /sequelize\.(query|transaction)\(|\b(User|Agent|Conversation|Message)\.(findAll|findOne|findByPk|findAndCountAll|findOrCreate|create|bulkCreate|upsert|update|destroy|count|max|min|sum|increment|decrement)\(|\.(save|reload)\(\)|\bdb\.models\b|\.models\.(User|Agent|Conversation|Message)\b/;
    const candidates = sources("src").filter(
      (f) =>
        !f.startsWith("src/db/repositories/") &&
        f !== "src/db/migrator.ts" &&
        !f.startsWith("src/db/models/"),
    );
    expect(candidates.length).to.be.greaterThan(40);
    const querying = candidates.filter((f) => queries.test(readFileSync(path.join(PROJECT_ROOT, f), "utf8")));
    expect(querying).to.deep.equal([]);
  });
});
