// Catalogue rows read from MSAL, the library under every Azure SDK credential: its managed identity sources
// (msal4j, MSAL.NET, MSAL Python, msal-node) and the confidential client's checks on a client assertion. Each
// row says in our words what the library's branch stands for and cites the file that writes the message.
import type { CatalogueEntry } from "./catalogue-types.js";

const MSAL_JAVA =
  "https://github.com/AzureAD/microsoft-authentication-library-for-java/blob/dev/msal4j-sdk/src/main/java/com/microsoft/aad/msal4j";
const MSAL_NET_MESSAGES =
  "https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/blob/main/src/client/Microsoft.Identity.Client/MsalErrorMessage.cs";
const MSAL_PYTHON_MI =
  "https://github.com/AzureAD/microsoft-authentication-library-for-python/blob/dev/msal/managed_identity.py";
const MSAL_NODE_MI =
  "https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-node/src/error/ManagedIdentityError.ts";
const MSAL_COMMON_CONFIG =
  "https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-common/src/error/ClientConfigurationError.ts";

export const msalEntries: CatalogueEntry[] = [
  {
    code: "MSAL-MI-no-response",
    title: "MSAL got no answer from the managed identity endpoint (no response, or the request timed out)",
    platform: "azure-sdk",
    text: [
      ["[managed identity] authentication unavailable. no response received from the managed identity endpoint"],
      ["[managed identity] authentication unavailable. the request to the managed identity endpoint timed out"],
    ],
    causes: [
      ["imds_unreachable", 0.85],
      ["nmi_identity_not_assigned", 0.2],
    ],
    docs: `${MSAL_JAVA}/AbstractManagedIdentitySource.java`,
    alsoFrom: [MSAL_NET_MESSAGES],
  },
  {
    code: "MSAL-MI-unexpected-payload",
    title: "Something other than a token came back from the managed identity endpoint",
    platform: "azure-sdk",
    // MSAL.NET: the body lacked access_token/expires_on, or did not parse; MSAL Python logs the payload it
    // could not decode. An HTTP proxy answering for 169.254.169.254, or NMI's error text, reads this way.
    text: [
      ["[managed identity] invalid response, the authentication response received did not contain the expected fields"],
      ["[managed identity] unexpected exception occurred when parsing the response"],
      ["imds emits unexpected payload"],
    ],
    causes: [
      ["imds_unreachable", 0.6],
      ["nmi_identity_not_assigned", 0.35],
    ],
    docs: MSAL_NET_MESSAGES,
    alsoFrom: [MSAL_PYTHON_MI],
  },
  {
    code: "MSAL-MI-one-scope",
    title: "A managed identity token request must name exactly one scope",
    platform: "azure-sdk",
    text: [["to acquire token for managed identity, exactly one scope must be passed"]],
    causes: [["invalid_scope", 0.85]],
    docs: MSAL_NET_MESSAGES,
  },
  {
    code: "MSAL-MI-identity-id",
    title: "The user-assigned identity was named wrongly: no ID, an empty one, or more than one kind of ID",
    platform: "azure-sdk",
    // On a pod the ID usually comes from AZURE_CLIENT_ID: unset, it reaches MSAL empty.
    text: [
      ["you shall specify one of the three parameters: client_id, resource_id, object_id"],
      ["a managedidentityid id was not provided"],
      ["more than one managedidentityidtype was provided"],
    ],
    causes: [
      ["missing_env_config", 0.65],
      ["wrong_client_id", 0.45],
    ],
    docs: MSAL_PYTHON_MI,
    alsoFrom: [MSAL_NODE_MI],
  },
  {
    code: "MSAL-MI-endpoint-variable",
    title: "An identity endpoint environment variable holds no valid URL",
    platform: "azure-sdk",
    text: [
      ["the managed identity's 'identity_endpoint' environment variable is malformed"],
      ["[managed identity] the environment variable", "contains an invalid uri"],
    ],
    causes: [
      ["missing_env_config", 0.6],
      ["imds_unreachable", 0.3],
    ],
    docs: MSAL_NODE_MI,
    alsoFrom: [MSAL_NET_MESSAGES],
  },
  {
    code: "MSAL-confidential-credential-empty",
    title: "The confidential client was built with an empty secret, certificate or assertion",
    platform: "azure-sdk",
    // With workload identity the assertion is the projected token: an empty or missing file ends up here.
    text: [
      ["client credential (secret, certificate, or assertion) must not be empty when creating a confidential client"],
    ],
    causes: [
      ["token_file_unreadable", 0.55],
      ["missing_env_config", 0.5],
      ["client_secret_invalid", 0.25],
    ],
    docs: MSAL_COMMON_CONFIG,
  },
  {
    code: "MSAL-invalid-assertion",
    title: "The client assertion is not a signed JWT (RFC 7515)",
    platform: "azure-sdk",
    // The assertion callback returned something that is not a token: the wrong file, a path, or a partial read.
    text: [["client assertion must meet requirements described in https://tools.ietf.org/html/rfc7515"]],
    causes: [
      ["token_file_unreadable", 0.65],
      ["token_path_changed", 0.3],
    ],
    docs: MSAL_COMMON_CONFIG,
  },
];
