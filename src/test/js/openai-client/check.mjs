// Drives KVSqueeze's OpenAI-compatible API with the official `openai` npm client, asserts what the client
// hands back (its parsing is the point: a field it cannot read, a stream it cannot split or an error body it
// cannot map fails here), and prints one JSON object on stdout for OpenAiNodeClientTest to check against the
// server's own view. Any failed assertion exits with a non-zero status and the reason on stderr.
//
// Environment: KVSQUEEZE_BASE_URL (http://host:port/v1), KVSQUEEZE_API_KEY (a tenant key), KVSQUEEZE_MODEL.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = required('KVSQUEEZE_BASE_URL');
const apiKey = required('KVSQUEEZE_API_KEY');
const model = required('KVSQUEEZE_MODEL');
const messages = [{ role: 'user', content: 'What is the capital of France?' }];
const MAX_TOKENS = 4;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function checkUsage(usage, where) {
  assert.ok(usage, `${where}: usage is missing`);
  for (const field of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(usage[field]) && usage[field] >= 0, `${where}: usage.${field} is ${usage[field]}`);
  }
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, `${where}: total_tokens`);
  assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= MAX_TOKENS, `${where}: completion_tokens`);
}

function checkKvsqueeze(kv, where) {
  assert.ok(kv && typeof kv === 'object', `${where}: the kvsqueeze object is missing`);
  assert.equal(typeof kv.policy, 'string', `${where}: kvsqueeze.policy`);
  assert.equal(typeof kv.degraded, 'boolean', `${where}: kvsqueeze.degraded`);
  assert.ok(kv.degraded ? typeof kv.degraded_by === 'string' : kv.degraded_by === null, `${where}: kvsqueeze.degraded_by`);
  assert.ok(Number.isInteger(kv.kv_bytes) && kv.kv_bytes > 0, `${where}: kvsqueeze.kv_bytes is ${kv.kv_bytes}`);
  assert.ok(Number.isInteger(kv.kv_bytes_full) && kv.kv_bytes_full >= kv.kv_bytes,
    `${where}: kvsqueeze.kv_bytes_full is ${kv.kv_bytes_full}`);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const result = {};

// GET /v1/models, through the client's pagination.
const models = [];
for await (const entry of client.models.list()) {
  assert.equal(entry.object, 'model');
  assert.equal(typeof entry.created, 'number');
  assert.equal(typeof entry.owned_by, 'string');
  models.push(entry.id);
}
assert.ok(models.includes(model), `GET /v1/models lists ${JSON.stringify(models)}, not ${model}`);
const retrieved = await client.models.retrieve(model);
assert.equal(retrieved.id, model);
result.models = models;

// POST /v1/chat/completions, whole.
const completion = await client.chat.completions.create({ model, messages, max_tokens: MAX_TOKENS, temperature: 0 });
assert.equal(completion.object, 'chat.completion');
assert.match(completion.id, /^chatcmpl-/);
assert.equal(completion.model, model);
assert.equal(completion.choices.length, 1);
const [choice] = completion.choices;
assert.equal(choice.index, 0);
assert.equal(choice.message.role, 'assistant');
assert.equal(typeof choice.message.content, 'string');
assert.ok(['stop', 'length'].includes(choice.finish_reason), `finish_reason ${choice.finish_reason}`);
checkUsage(completion.usage, 'completion');
checkKvsqueeze(completion.kvsqueeze, 'completion');
result.completion = {
  id: completion.id,
  content: choice.message.content,
  finish_reason: choice.finish_reason,
  usage: completion.usage,
  kvsqueeze: completion.kvsqueeze,
};

// POST /v1/chat/completions, streamed, with the usage chunk.
const stream = await client.chat.completions.create({
  model, messages, max_tokens: MAX_TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let content = '';
let finishReason = null;
let usage = null;
let kvsqueeze = null;
let chunks = 0;
const ids = new Set();
for await (const chunk of stream) {
  chunks++;
  assert.equal(chunk.object, 'chat.completion.chunk');
  assert.equal(chunk.model, model);
  ids.add(chunk.id);
  if (chunk.choices.length === 0) {
    // The last chunk: usage only, as include_usage promises.
    assert.equal(usage, null, 'a second usage chunk');
    usage = chunk.usage;
    continue;
  }
  assert.equal(chunk.usage, null, 'usage before the last chunk must be null');
  const [delta] = chunk.choices;
  if (delta.delta.content) {
    content += delta.delta.content;
  }
  if (delta.finish_reason) {
    finishReason = delta.finish_reason;
    kvsqueeze = chunk.kvsqueeze;
  }
}
assert.equal(ids.size, 1, `chunks of one stream carry one id, got ${[...ids]}`);
assert.ok(['stop', 'length'].includes(finishReason), `stream finish_reason ${finishReason}`);
checkUsage(usage, 'stream');
checkKvsqueeze(kvsqueeze, 'stream');
result.stream = { chunks, content, finish_reason: finishReason, usage, kvsqueeze };

// Errors arrive as the client's typed errors, with OpenAI's error object parsed.
const wrongKey = new OpenAI({ baseURL, apiKey: 'sk-not-a-key', maxRetries: 0 });
await assert.rejects(wrongKey.chat.completions.create({ model, messages, max_tokens: 1 }), (error) => {
  assert.ok(error instanceof OpenAI.AuthenticationError, `a wrong key gave ${error}`);
  assert.equal(error.status, 401);
  result.unauthorized = { status: error.status, type: error.type, code: error.code };
  return true;
});
await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 1 }), (error) => {
  assert.ok(error instanceof OpenAI.NotFoundError, `an unknown model gave ${error}`);
  result.unknownModel = { status: error.status, type: error.type, code: error.code, param: error.param };
  return true;
});

process.stdout.write(JSON.stringify(result) + '\n');
