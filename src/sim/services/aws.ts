// The simulated AWS services: IAM, STS, EKS and EKS Auth, each answering in its real wire format.
import type { SimService } from "../world.js";
import { eksService } from "./aws-eks.js";
import { eksAuthService } from "./aws-eks-auth.js";
import { iamService } from "./aws-iam.js";
import { stsService } from "./aws-sts.js";

export const awsServices: SimService[] = [iamService, stsService, eksService, eksAuthService];
