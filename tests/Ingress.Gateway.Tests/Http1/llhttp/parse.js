// What llhttp, Node's HTTP parser, makes of raw request heads: the other side of the relay's differential test
// (Http1/LlhttpDifferentialTests.cs). Reads one case a line on stdin, {"id": n, "raw": "<base64>"}, and writes one
// result a line on stdout: {"id": n, "error": "HPE_..." | null, "messages": [{method, url, versionMajor, versionMinor,
// headers: [name, value, ...], body, complete, upgrade}]}. Each case gets a fresh parser, strict (no lenient flags),
// fed the bytes in one piece and never told the input ended: a message is complete only if its own framing says so.
'use strict';

const { HTTPParser, methods } = require('_http_common');
const readline = require('node:readline');

function parse(raw) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  const messages = [];
  let current = null;
  // Past 32 fields Node hands over the headers (and URL) so far in kOnHeaders, before kOnHeadersComplete.
  let headers = [];
  let url = '';
  parser[HTTPParser.kOnHeaders] = (more, moreUrl) => {
    headers = headers.concat(more);
    url += moreUrl || '';
  };
  parser[HTTPParser.kOnHeadersComplete] = (versionMajor, versionMinor, last, method, lastUrl, statusCode, statusMessage, upgrade) => {
    current = {
      method: methods[method],
      url: url + (lastUrl || ''),
      versionMajor,
      versionMinor,
      headers: headers.concat(last || []),
      body: 0,
      complete: false,
      upgrade: !!upgrade,
    };
    headers = [];
    url = '';
    messages.push(current);
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk) => {
    current.body += chunk.length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current) {
      current.complete = true;
    }
  };

  const result = parser.execute(raw);
  const error = result instanceof Error ? (result.code || 'ERROR') : null;
  if (typeof parser.close === 'function') {
    parser.close();
  }

  return { error, messages };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let pending = [];
function flush() {
  if (pending.length > 0) {
    process.stdout.write(pending.join('\n') + '\n');
    pending = [];
  }
}

lines.on('line', (line) => {
  if (line.length === 0) {
    return;
  }

  const { id, raw } = JSON.parse(line);
  let result;
  try {
    result = parse(Buffer.from(raw, 'base64'));
  } catch (e) {
    result = { error: 'THROWN: ' + e.message, messages: [] };
  }

  pending.push(JSON.stringify({ id, ...result }));
  if (pending.length >= 256) {
    flush();
  }
});
lines.on('close', flush);
