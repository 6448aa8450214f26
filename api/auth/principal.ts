// Who a request comes from: the user and the token it carried (api/auth/authenticate.ts finds it,
// api/auth/principal-cache.ts keeps it briefly). Its own module so both can import it.

export interface Principal {
  userId: string;
  userName: string;
  userEmail: string | null;
  githubId: string | null;
  tokenId: string;
  tokenName: string;
  tokenKind: 'personal' | 'deploy';
  tokenExpiresAt: Date | null;
  /** Deploy tokens only: the one workspace, app and profile they may deploy. */
  tokenWorkspaceId: string | null;
  tokenApp: string | null;
  tokenProfile: string | null;
}
