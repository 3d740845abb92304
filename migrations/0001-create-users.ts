import { sqlMigration } from "./context.js";

export default sqlMigration(
  "0001-create-users",
  [
    `CREATE TABLE users (
      id varchar(255) PRIMARY KEY,
      name varchar(255),
      email varchar(320),
      role varchar(16) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
  ["DROP TABLE users"],
);
