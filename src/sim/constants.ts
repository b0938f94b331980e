// Fixed identities of the simulated operator (the person running wi-doctor against the simulated world).

/** The simulated operator's Entra app (client-secret grant at the simulated token endpoint). */
export const SIM_OPERATOR_CLIENT_ID = "5f0c8a1e-0000-4000-8000-00000000d0c7";
/** Not a secret: it only opens the simulated world. */
export const SIM_OPERATOR_CLIENT_SECRET = "simulated-operator-secret";
/** Bearer token the simulated API server accepts from the simulated operator's kubeconfig. */
export const SIM_KUBE_TOKEN = "simulated-kube-operator";
/** Static AWS keys the simulated world accepts. */
export const SIM_AWS_ACCESS_KEY_ID = "AKIASIMULATEDWORLD01";
export const SIM_AWS_SECRET_ACCESS_KEY = "simulated/world/secret/access/key/0000000";
