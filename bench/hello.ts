/** The HTTP floor: a bare Fastify hello world on 127.0.0.1:$PORT (no plugins, no logging). */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('ready');
