// AWS shapes both sides need: what the AWS provider reads and the EKS checks read. Pure types.

/** EKS Auth AssumeRoleForPodIdentity with a pods.eks.amazonaws.com token: the outcome, never the credentials. */
export type PodIdentityExchange =
  | {
      ok: true;
      assumedRoleArn: string;
      audience?: string;
      subject?: { namespace?: string; serviceAccount?: string };
      associationId?: string;
      expiration?: string;
    }
  | { ok: false; code: string; message: string; httpStatus?: number };
