// The shape of one catalogue row, shared by the catalogue's data files.
import type { ErrorClass, ErrorPlatform } from "./taxonomy.js";

export interface CatalogueEntry {
  /** Stable id, used in wi-doctor://errors/{code}: the service's own code where there is one. */
  code: string;
  title: string;
  platform: ErrorPlatform;
  /** Matches when any of these codes was extracted from the text (AADSTS numbers, service codes). */
  codes?: string[];
  /** …or when every substring of any one group occurs in the text (lower case, after unescaping). */
  text?: string[][];
  /** Never matches when one of these occurs (a more specific row explains the text). */
  unless?: string[];
  causes: [ErrorClass, number][];
  /** The public page this row rests on. */
  docs: string;
  /** Further sources of the wordings the row matches (SDK source files that write them). */
  alsoFrom?: string[];
}
