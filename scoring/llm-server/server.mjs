// A minimal OpenAI-compatible chat-completions server around node-llama-cpp, for the
// contract tests of jobmon-scoring's OpenAI scorer. Test infrastructure only: it binds to
// 127.0.0.1, serves one request at a time and has no authentication.
//
//   node server.mjs --model <file.gguf> [--port <n>] [--threads <n>]
//   (or MODEL_PATH / PORT / LLM_THREADS in the environment)
//
// Port 0 picks a free port. Once listening, the server prints one line
// `LISTENING <port>` on stdout, so a harness never has to guess a free port. GET /health
// answers 503 while the model loads and 200 once requests can be served.

import http from "node:http";
import { parseArgs } from "node:util";

import { getLlama, LlamaChatSession } from "node-llama-cpp";

const { values: args } = parseArgs({
    options: {
        model: { type: "string", default: process.env.MODEL_PATH },
        port: { type: "string", default: process.env.PORT ?? "0" },
        threads: { type: "string", default: process.env.LLM_THREADS ?? "1" },
        "context-size": { type: "string", default: "2048" },
    },
});

if (!args.model) {
    console.error("usage: node server.mjs --model <file.gguf> [--port <n>] [--threads <n>]");
    process.exit(2);
}
const threads = Number.parseInt(args.threads, 10);
const contextSize = Number.parseInt(args["context-size"], 10);
const port = Number.parseInt(args.port, 10);
const modelName = "smollm2-135m-instruct";
// Requests larger than this are refused: the scorer bounds its prompts far below it.
const maxBodyBytes = 256 * 1024;
const defaultMaxTokens = 256;

let state = { ready: false, error: null };
let llama, model, context, session;

// One sequence, so one generation at a time; requests wait their turn here.
let queue = Promise.resolve();
function serialised(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
}

async function load() {
    // build: "never": the prebuilt @node-llama-cpp/linux-x64 binary or nothing; compiling
    // llama.cpp during a test run would take minutes and needs cmake.
    llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: "error" });
    model = await llama.loadModel({ modelPath: args.model });
    context = await model.createContext({ contextSize, threads, sequences: 1 });
    session = new LlamaChatSession({ contextSequence: context.getSequence() });
}

function sendJson(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
    });
    res.end(text);
}

function sendError(res, status, message, type = "invalid_request_error", code = null) {
    sendJson(res, status, { error: { message, type, code } });
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on("data", (chunk) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
                reject(new Error("request body too large"));
                req.destroy();
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

function messageText(content) {
    if (typeof content === "string") return content;
    // The array form: [{type: "text", text}, ...]; only text parts are understood.
    if (Array.isArray(content)) {
        return content
            .filter((part) => part && part.type === "text" && typeof part.text === "string")
            .map((part) => part.text)
            .join("\n");
    }
    return "";
}

// OpenAI messages -> node-llama-cpp chat history plus the final user prompt.
function toChat(messages) {
    if (!Array.isArray(messages) || messages.length === 0) {
        throw new Error("`messages` must be a non-empty array");
    }
    const last = messages[messages.length - 1];
    if (!last || last.role !== "user") {
        throw new Error("the last message must have role `user`");
    }
    const history = [];
    for (const message of messages.slice(0, -1)) {
        const text = messageText(message?.content);
        if (message?.role === "system" || message?.role === "developer") {
            history.push({ type: "system", text });
        } else if (message?.role === "user") {
            history.push({ type: "user", text });
        } else if (message?.role === "assistant") {
            history.push({ type: "model", response: [text] });
        } else {
            throw new Error(`unsupported message role \`${message?.role}\``);
        }
    }
    return { history, prompt: messageText(last.content) };
}

async function grammarFor(responseFormat) {
    if (!responseFormat || responseFormat.type === "text") return undefined;
    if (responseFormat.type === "json_object") return llama.getGrammarFor("json");
    if (responseFormat.type === "json_schema") {
        const schema = responseFormat.json_schema?.schema;
        if (!schema || typeof schema !== "object") {
            throw new Error("`response_format.json_schema.schema` must be an object");
        }
        return llama.createGrammarForJsonSchema(schema);
    }
    throw new Error(`unsupported response_format type \`${responseFormat.type}\``);
}

async function chatCompletion(req, res) {
    let request;
    try {
        request = JSON.parse(await readBody(req));
    } catch (error) {
        return sendError(res, 400, `invalid JSON body: ${error.message}`);
    }
    let chat, grammar;
    try {
        chat = toChat(request.messages);
        grammar = await grammarFor(request.response_format);
    } catch (error) {
        return sendError(res, 400, error.message);
    }
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens;
    const temperature = typeof request.temperature === "number" ? request.temperature : 0;

    // A caller that gives up (its timeout) must not keep the only sequence busy.
    const abort = new AbortController();
    res.on("close", () => {
        if (!res.writableFinished) abort.abort();
    });

    try {
        const result = await serialised(async () => {
            if (abort.signal.aborted) return null;
            session.setChatHistory(chat.history);
            return session.promptWithMeta(chat.prompt, {
                grammar,
                maxTokens,
                temperature,
                signal: abort.signal,
                stopOnAbortSignal: true,
            });
        });
        if (result === null || abort.signal.aborted) return;
        // A grammar-constrained answer cut off by max tokens is not valid JSON; say so the
        // way OpenAI does, with finish_reason "length".
        const finishReason = result.stopReason === "maxTokens" ? "length" : "stop";
        sendJson(res, 200, {
            id: `chatcmpl-${Date.now().toString(36)}`,
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: modelName,
            choices: [
                {
                    index: 0,
                    message: { role: "assistant", content: result.responseText },
                    finish_reason: finishReason,
                },
            ],
        });
    } catch (error) {
        if (abort.signal.aborted) return;
        sendError(res, 500, `generation failed: ${error.message}`, "server_error");
    }
}

const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === "/health") {
        if (state.error) return sendJson(res, 500, { status: "error", error: state.error });
        return sendJson(res, state.ready ? 200 : 503, {
            status: state.ready ? "ok" : "loading",
            model: modelName,
        });
    }
    if (req.method === "GET" && path === "/v1/models") {
        return sendJson(res, 200, { object: "list", data: [{ id: modelName, object: "model" }] });
    }
    if (req.method === "POST" && path === "/v1/chat/completions") {
        if (!state.ready) return sendError(res, 503, "model is still loading", "server_error");
        chatCompletion(req, res).catch((error) => {
            if (!res.headersSent) sendError(res, 500, error.message, "server_error");
        });
        return;
    }
    sendError(res, 404, `no route for ${req.method} ${path}`);
});

server.listen(port, "127.0.0.1", () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
    load().then(
        () => {
            state.ready = true;
        },
        (error) => {
            state.error = String(error?.message ?? error);
            console.error(`failed to load the model: ${state.error}`);
        },
    );
});

function shutdown() {
    server.close();
    Promise.resolve(context?.dispose())
        .then(() => model?.dispose())
        .then(() => llama?.dispose())
        .finally(() => process.exit(0));
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
