// The wordings the catalogue reads from the credential code of the SDKs (Azure SDK for .NET, Java and
// JavaScript, MSAL for Java, .NET, Python and Node, the AWS SDKs for JavaScript v3 and Java v2), from the log lines
// of the components in the path (Secrets Store CSI driver and providers, MIC/NMI, the workload identity webhooks,
// proxy and Pod Identity agent) and from Entra, STS, IAM and EKS Auth: each message as the source composes it,
// with the cause the source's own branch stands for.
import { describe, expect, it } from "vitest";
import { catalogue } from "../../src/diagnosis/errors/catalogue.js";
import { serviceCode } from "../../src/diagnosis/errors/codes.js";
import { explainError } from "../../src/diagnosis/errors/explain.js";

const top = (text: string) => explainError(text).causes.map((c) => c.class);

describe("Entra: an identity with no federated credential at all (AADSTS70025)", () => {
  const text =
    '{"error":"invalid_client","error_description":"AADSTS70025: The client \'0b7c4e5e-2a44-4c2f-9d1e-5f3a6b7c8d9e\'(payments-api) has no configured federated identity credentials. Trace ID: 1b2c3d4e-0000-4000-8000-000000000001 Correlation ID: 1b2c3d4e-0000-4000-8000-000000000002 Timestamp: 2026-11-30 10:00:00Z","error_codes":[70025]}';

  it("ranks the missing credential first, the wrong identity second, and reads the client ID", () => {
    const r = explainError(text);
    expect(r.codes).toContain("AADSTS70025");
    expect(r.causes.slice(0, 2).map((c) => c.class)).toEqual(["fic_missing", "wrong_client_id"]);
    expect(r.extracted.clientId).toBe("0b7c4e5e-2a44-4c2f-9d1e-5f3a6b7c8d9e");
    expect(r.meanings.find((m) => m.code === "AADSTS70025")?.meaning).toMatch(/no federated identity credential/);
  });

  it("recognises the wording without the code, and the code without the wording", () => {
    expect(top("The client 'deployer' has no configured federated identity credentials.")[0]).toBe("fic_missing");
    expect(serviceCode("AADSTS70025")?.causes[0][0]).toBe("fic_missing");
  });
});

describe("managed identity endpoint: what each SDK says and what it means", () => {
  it("Java: a connection failure (the socket error follows a comma) is an unreachable endpoint", () => {
    expect(
      top(
        "ManagedIdentityCredential authentication unavailable. Connection to IMDS endpoint cannot be established, connect timed out.",
      )[0],
    ).toBe("imds_unreachable");
  });

  it("Java: a 400 worded the same way but ending there keeps the wrong client ID in view", () => {
    const causes = top(
      "ManagedIdentityCredential authentication unavailable. Connection to IMDS endpoint cannot be established.",
    );
    expect(causes[0]).toBe("imds_unreachable");
    expect(causes.slice(0, 3)).toContain("wrong_client_id");
  });

  it("Python: a 400 without a client ID means the machine has no identity at all", () => {
    expect(
      top("ManagedIdentityCredential authentication unavailable. No identity has been assigned to this resource.")[0],
    ).toBe("imds_unreachable");
  });

  it("Java: a refusal it does not retry points at the identity asked for, not at the network", () => {
    const causes = top(
      "java.lang.RuntimeException: Couldn't acquire access token from IMDS, verify your objectId, clientId or msiResourceId",
    );
    expect(causes[0]).toBe("wrong_client_id");
    expect(causes.slice(0, 2)).toContain("nmi_identity_not_assigned");
    expect(causes.slice(0, 2)).not.toContain("imds_unreachable");
  });

  it("Java and JavaScript: retries on 404 exhausted point at NMI first", () => {
    expect(top("java.lang.RuntimeException: MSI: Failed to acquire tokens after retrying 3 times")[0]).toBe(
      "nmi_identity_not_assigned",
    );
    expect(top("ManagedIdentityCredential - IMDS: Failed to retrieve IMDS token after 3 retries.")[0]).toBe(
      "nmi_identity_not_assigned",
    );
  });

  it("JavaScript and MSAL: network errors and 'identity not found' inside msal-node's description", () => {
    expect(
      top(
        "ManagedIdentityCredential: Network unreachable. Message: network_error: See https://aka.ms/msal.js.errors#network_error for details",
      )[0],
    ).toBe("imds_unreachable");
    expect(
      top(
        "ManagedIdentityCredential: Authentication failed. Message invalid_request: Error(s): Not Available - Timestamp: Not Available - Description: Identity not found - Correlation ID: Not Available",
      )[0],
    ).toBe("wrong_client_id");
  });

  it("under aad-pod-identity, IMDS not knowing the pod's identity means MIC has not assigned it to the node", () => {
    const causes = top(
      'component=nmi ManagedIdentityCredential authentication unavailable. The requested identity has not been assigned to this resource. {"error":"invalid_request","error_description":"Identity not found"}',
    );
    expect(causes[0]).toBe("nmi_identity_not_assigned");
  });
});

describe("workload identity credential and its token file, per SDK", () => {
  it(".NET and Java: options not fully configured", () => {
    expect(
      top(
        "Azure.Identity.CredentialUnavailableException: WorkloadIdentityCredential authentication unavailable. The workload options are not fully configured. See the troubleshooting guide for more information. https://aka.ms/azsdk/net/identity/workloadidentitycredential/troubleshoot",
      ).slice(0, 2),
    ).toContain("missing_env_config");
  });

  it(".NET and Java file exceptions name the missing or unreadable token file", () => {
    const path = "/var/run/secrets/azure/tokens/azure-identity-token";
    expect(top(`System.IO.FileNotFoundException: Could not find file '${path}'.`).slice(0, 2)).toContain(
      "token_path_changed",
    );
    expect(top(`java.nio.file.NoSuchFileException: ${path}`).slice(0, 2)).toContain("pod_not_mutated_label_missing");
    expect(top(`System.UnauthorizedAccessException: Access to the path '${path}' is denied.`)[0]).toBe(
      "token_file_unreadable",
    );
    expect(top(`java.nio.file.AccessDeniedException: ${path}`)[0]).toBe("token_file_unreadable");
  });

  it("JavaScript: an empty token file, and an invalid tenant ID", () => {
    expect(
      top(
        "CredentialUnavailableError: WorkloadIdentityCredential: is unavailable. No content on the file /var/run/secrets/azure/tokens/azure-identity-token.",
      )[0],
    ).toBe("token_file_unreadable");
    expect(
      top(
        "Invalid tenant id provided. You can locate your tenant id by following the instructions listed here: https://learn.microsoft.com/partner-center/find-ids-and-domain-names",
      )[0],
    ).toBe("wrong_tenant");
  });

  it("Java's chain summary is one error, not several", () => {
    const r = explainError(
      "com.azure.core.exception.ClientAuthenticationException: Tried EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential but failed to acquire a token for any of them. Please verify the environment for the credentials and see more details in the causes below.",
    );
    expect(r.causes.map((c) => c.class).slice(0, 3)).toContain("missing_env_config");
  });
});

describe("AWS SDK for JavaScript v3 and Java v2 credential providers", () => {
  it("no web identity configuration in the pod: the service account annotation (or the webhook)", () => {
    expect(top("CredentialsProviderError: Web identity configuration not specified")[0]).toBe(
      "irsa_sa_annotation_missing",
    );
    const java =
      "Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(), EnvironmentVariableCredentialsProvider(), WebIdentityTokenCredentialsProvider(), ContainerCredentialsProvider(), InstanceProfileCredentialsProvider()]) : [SystemPropertyCredentialsProvider(): Unable to load credentials from system settings., WebIdentityTokenCredentialsProvider(): Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE or the javaproperty aws.webIdentityTokenFile must be set., ContainerCredentialsProvider(): Cannot fetch credentials from container - neither AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI environment variables are set., InstanceProfileCredentialsProvider(): Failed to load credentials from IMDS.]";
    expect(top(java)[0]).toBe("irsa_sa_annotation_missing");
  });

  it("Java v2 without the sts module cannot use the token at all", () => {
    expect(
      top(
        "java.lang.IllegalStateException: To use web identity tokens, the 'sts' service module must be on the class path.",
      )[0],
    ).toBe("sdk_too_old");
  });

  it(".NET and Java file exceptions for the IRSA token", () => {
    const path = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
    expect(top(`System.IO.FileNotFoundException: Could not find file '${path}'.`)[0]).toBe(
      "irsa_sa_annotation_missing",
    );
    expect(top(`java.nio.file.AccessDeniedException: ${path}`)[0]).toBe("token_file_unreadable");
  });
});

describe("sources", () => {
  it("every row and every further source is a public reference page or a repository path", () => {
    for (const e of catalogue)
      for (const src of [e.docs, ...(e.alsoFrom ?? [])])
        expect(src, e.code).toMatch(
          /^https:\/\/(learn\.microsoft\.com|docs\.aws\.amazon\.com|github\.com|azure\.github\.io|repost\.aws)\//,
        );
  });
});

describe("AWS SDK for Go: half a web identity configuration", () => {
  it("a token file without a role ARN (or the reverse) points at the service account annotation", () => {
    expect(top("WebIdentityErr: role ARN is not set")[0]).toBe("irsa_sa_annotation_missing");
    expect(top("failed to load configuration: token file path is not set")[0]).toBe("irsa_sa_annotation_missing");
    expect(top("Error: Role ARN is not set. Please set the role-to-assume input.")).not.toContain(
      "irsa_sa_annotation_missing",
    );
  });
});

describe("a proxy refusing the tunnel to STS", () => {
  it("is an STS endpoint problem in every HTTP client's wording", () => {
    for (const failure of [
      "java.io.IOException: Unexpected response code for CONNECT: 403",
      'java.io.IOException: Unable to tunnel through proxy. Proxy returns "HTTP/1.1 403 Forbidden"',
      "OSError('Tunnel connection failed: 403 Forbidden')",
      'Post "https://sts.eu-west-1.amazonaws.com/": proxyconnect tcp: dial tcp 10.0.0.1:3128: connect: connection refused',
    ])
      expect(
        top(`CredentialsProviderException: STS failed to assume role from web identity\nCaused by: ${failure}`)[0],
        failure,
      ).toBe("sts_endpoint_unreachable");
  });
});

// One message per source family, composed as the family's code writes it; the row that reads it must cite a file
// of that family, and the cause the source's branch stands for must come first.
const families: { family: string; source: string; text: string; first: string }[] = [
  {
    family: "msal4j",
    source: "microsoft-authentication-library-for-java/",
    text: "com.microsoft.aad.msal4j.MsalServiceException: [Managed Identity] Authentication unavailable. The request to the managed identity endpoint timed out.",
    first: "imds_unreachable",
  },
  {
    family: "MSAL.NET",
    source: "microsoft-authentication-library-for-dotnet/",
    text: "Microsoft.Identity.Client.MsalClientException: [Managed Identity] To acquire token for managed identity, exactly one scope must be passed.",
    first: "invalid_scope",
  },
  {
    family: "MSAL Python",
    source: "microsoft-authentication-library-for-python/",
    text: "msal.managed_identity.ManagedIdentityError: You shall specify one of the three parameters: client_id, resource_id, object_id",
    first: "missing_env_config",
  },
  {
    family: "msal-node and msal-common (confidential client, client assertion)",
    source: "microsoft-authentication-library-for-js/",
    text: "ClientConfigurationError: invalid_assertion: Client assertion must meet requirements described in https://tools.ietf.org/html/rfc7515",
    first: "token_file_unreadable",
  },
  {
    family: "Secrets Store CSI driver",
    source: "kubernetes-sigs/secrets-store-csi-driver/",
    text: 'MountVolume.SetUp failed for volume "secrets" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod app/web-7d9, err: rpc error: code = Unknown desc = token for audience api://AzureADTokenExchange not found',
    first: "token_file_unreadable",
  },
  {
    family: "Secrets Store CSI driver Azure provider",
    source: "Azure/secrets-store-csi-driver-provider-azure/",
    text: "failed to mount secrets store objects for pod app/web, err: rpc error: code = Unknown desc = nmi did not return expected values in response: token and clientid",
    first: "nmi_identity_not_assigned",
  },
  {
    family: "Secrets Store CSI driver AWS provider",
    source: "aws/secrets-store-csi-driver-provider-aws/",
    text: "failed to mount secrets store objects for pod app/web, err: rpc error: code = Unknown desc = Failed to fetch secret from all regions. Verify secret exists and required permissions are granted for: prod/db",
    first: "rbac_missing_role",
  },
  {
    family: "NMI",
    source: "Azure/aad-pod-identity/blob/master/pkg/nmi/",
    text: "E0501 10:00:00.000000 1 server.go:398] failed to get pod info from pod IP: 10.244.1.12, error: failed to match pod IP 10.244.1.12 with [default/web]",
    first: "nmi_identity_not_assigned",
  },
  {
    family: "MIC",
    source: "Azure/aad-pod-identity/blob/master/pkg/cloudprovider/",
    text: "E0501 10:00:00.000000 1 mic.go:1111] failed to update user-assigned identities on node aks-pool-vmss (add [1], del [0], update[0]), error: failed to update identities for aks-pool-vmss in MC_rg_aks_westeurope, vmss is in Failed provisioning state",
    first: "nmi_identity_not_assigned",
  },
  {
    family: "azure-workload-identity proxy",
    source: "Azure/azure-workload-identity/blob/main/pkg/proxy/",
    text: "GET /metadata/identity/oauth2/token 400: The client_id parameter or AZURE_CLIENT_ID environment variable must be set",
    first: "missing_env_config",
  },
  {
    family: "azure-workload-identity webhook",
    source: "Azure/azure-workload-identity/blob/main/pkg/webhook/",
    text: 'admission webhook "mutation.azure-workload-identity.io" denied the request: token expiration 60 not valid. Expected value to be between 3600 and 86400',
    first: "missing_env_config",
  },
  {
    family: "EKS pod-identity-webhook",
    source: "aws/amazon-eks-pod-identity-webhook/",
    text: "W0501 10:00:00.000000 1 handler.go:482] Service account app/api not found in the cache after 10s. Not mutating.",
    first: "irsa_sa_annotation_missing",
  },
  {
    family: "eks-pod-identity-agent",
    source: "aws/eks-pod-identity-agent/",
    text: 'level=error msg="Error fetching credentials: Service account token cannot be empty"',
    first: "token_file_unreadable",
  },
];

describe("every source family has a row that reads its own wording", () => {
  for (const f of families)
    it(f.family, () => {
      const cites = catalogue.filter((e) => [e.docs, ...(e.alsoFrom ?? [])].some((s) => s.includes(f.source)));
      expect(cites.length, f.family).toBeGreaterThan(0);
      expect(top(f.text)[0], f.family).toBe(f.first);
    });

  it("STS, IAM and EKS Auth codes are recognised with their reference page", () => {
    const cases: [string, string, RegExp][] = [
      [
        "operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 400, api error IDPCommunicationError: Couldn't retrieve verification key from your identity provider",
        "IDPCommunicationError",
        /API_AssumeRoleWithWebIdentity/,
      ],
      [
        "An error occurred (OpenIdIdpCommunicationError) when calling the CreateOpenIDConnectProvider operation",
        "OpenIdIdpCommunicationError",
        /services\/iam\//,
      ],
      [
        "Error fetching credentials: [5f1c]: (ServiceUnavailableException): Service unavailable, fault: server",
        "ServiceUnavailableException",
        /API_auth_AssumeRoleForPodIdentity/,
      ],
    ];
    for (const [text, code, source] of cases) {
      const r = explainError(text);
      expect(r.codes, code).toContain(code);
      expect(r.meanings.find((m) => m.code === code)?.source, code).toMatch(source);
    }
    expect(top(cases[0][0])[0]).toBe("issuer_unreachable");
  });
});
