// Every migration, in order. A new schema change is a new class appended here.
import { Migration20250101000000_initial } from './Migration20250101000000_initial.ts';
import { Migration20250301000000_promotion_review } from './Migration20250301000000_promotion_review.ts';
import { Migration20250414000000_route_claims } from './Migration20250414000000_route_claims.ts';
import { Migration20261202000000_tokens_invitations } from './Migration20261202000000_tokens_invitations.ts';
import { Migration20261202010000_secrets_change } from './Migration20261202010000_secrets_change.ts';
import { Migration20261202020000_history_index } from './Migration20261202020000_history_index.ts';
import { Migration20261202030000_refuse } from './Migration20261202030000_refuse.ts';
import { Migration20261203000000_claim_host_fk } from './Migration20261203000000_claim_host_fk.ts';

export const migrations = [Migration20250101000000_initial, Migration20250301000000_promotion_review, Migration20250414000000_route_claims, Migration20261202000000_tokens_invitations, Migration20261202010000_secrets_change, Migration20261202020000_history_index, Migration20261202030000_refuse, Migration20261203000000_claim_host_fk];
