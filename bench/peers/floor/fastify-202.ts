// The floor of bench/deploy: a fastify server with nothing behind it. It takes the deploy
// route's URL and JSON body (fastify parses it, as the API's does) and answers 202 with a small
// JSON body: what this machine takes to answer 200 new connections at once before any of Loco's
// work. Prints `listening on <url>` (port 0: the kernel picks it), as api/main.ts does.

import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/api/v1/orgs/:org/workspaces/:ws/apps/:app/deployments', async (request, reply) => {
  const { app: name } = request.params as { app: string };
  const body = request.body as { profile: string; image: string };
  return reply.code(202).send({ id: `dpl_${name}`, app: name, profile: body.profile, image: body.image, status: 'pending' });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${url}`);
