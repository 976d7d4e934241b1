import type { MemberRefusal, Refusal, Warned } from '../support/misuse';

export const refusals: Refusal[] = [];
export const memberRefusals: MemberRefusal[] = [];
export const warnings: Warned[] = [];
