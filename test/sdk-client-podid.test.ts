// The MCP SDK Client validates every tool's structured result on every bundled podid world: zero rejections.
import { sdkClientMatrix } from "./helpers/sdk-client-matrix.js";

sdkClientMatrix("podid-");
