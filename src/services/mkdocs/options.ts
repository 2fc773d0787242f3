/** mkdocs's settings. */
import { z } from "zod";
import { enabled, port } from "../option-types";

export const options = z.strictObject({ enabled, port: port(8001).describe("Port of the generated docs site.") });
export type MkdocsOptions = z.output<typeof options>;
