// A werift RTCPeerConnection driven by JSON lines: commands on stdin, events on stdout (one JSON object a line).
// Used by tests/Functional.WebRtc.Tests/Interop/WeriftPeer.cs. It gathers on 127.0.0.1 only (udp4), no IPv6, no TCP,
// no STUN/TURN servers, so it never sends to any other address.
//
// Commands ({"cmd": ...}):
//   offer                                  -> {"type":"offer","sdp":...}   (after ICE gathering completes: non-trickle)
//   answer                                 -> {"type":"answer","sdp":...}
//   set-remote {type,sdp}                  -> {"type":"remote-set","sdpType":...}
//   create-dc {label, ordered?, maxRetransmits?}  -> {"type":"dc-created","label"}, later dc-open
//   add-transceiver {kind, direction?}     -> {"type":"transceiver-added","kind"}  (media is received and counted, never sent)
//   send {label, text} | {label, base64}   -> {"type":"sent","label"}
//   echo {on}                              -> {"type":"echo","on"}  every received message is sent back on its channel
//   stats                                  -> {"type":"stats","connection","ice","rtp":{"audio":n,"video":n}}
//   close                                  -> {"type":"closed"} then exit
// Events: state {kind:"connection"|"ice"|"gathering", state}, dc-open {label}, dc-close {label},
//   message {label, text|base64}, track {kind}, rtp-count {kind, count} (first packet, then every 50), error {message}.
// Arguments: --echo turns echo on from the start.
import { RTCPeerConnection } from "werift";
import { createInterface } from "node:readline";

const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (message) => emit({ type: "error", message: String(message) });

let echo = process.argv.includes("--echo");
const channels = new Map();
const rtp = { audio: 0, video: 0 };

const pc = new RTCPeerConnection({
  iceServers: [],
  iceAdditionalHostAddresses: ["127.0.0.1"],
  iceInterfaceAddresses: { udp4: "127.0.0.1" },
  iceUseIpv4: true,
  iceUseIpv6: false,
  iceUseTcp: false,
});

pc.connectionStateChange.subscribe((s) => emit({ type: "state", kind: "connection", state: s }));
pc.iceConnectionStateChange.subscribe((s) => emit({ type: "state", kind: "ice", state: s }));
pc.iceGatheringStateChange.subscribe((s) => emit({ type: "state", kind: "gathering", state: s }));
pc.onDataChannel.subscribe((dc) => watch(dc));
pc.onTrack.subscribe((track) => {
  const kind = track.kind;
  emit({ type: "track", kind });
  track.onReceiveRtp.subscribe(() => {
    rtp[kind] = (rtp[kind] ?? 0) + 1;
    if (rtp[kind] === 1 || rtp[kind] % 50 === 0) emit({ type: "rtp-count", kind, count: rtp[kind] });
  });
});

function watch(dc) {
  channels.set(dc.label, dc);
  const opened = () => emit({ type: "dc-open", label: dc.label });
  if (dc.readyState === "open") opened();
  dc.stateChanged.subscribe((s) => {
    if (s === "open") opened();
    else if (s === "closed") emit({ type: "dc-close", label: dc.label });
  });
  dc.onMessage.subscribe((data) => {
    if (typeof data === "string") emit({ type: "message", label: dc.label, text: data });
    else emit({ type: "message", label: dc.label, base64: Buffer.from(data).toString("base64") });
    if (echo) {
      try { dc.send(data); } catch (e) { fail(`echo on ${dc.label}: ${e?.message ?? e}`); }
    }
  });
}

async function gathered(timeoutMs = 10000) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("ICE gathering did not complete in time")), timeoutMs);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === "complete") { clearTimeout(timer); unSubscribe(); resolve(); }
    });
    if (pc.iceGatheringState === "complete") { clearTimeout(timer); unSubscribe(); resolve(); }
  });
}

async function describe(type) {
  const d = type === "offer" ? await pc.createOffer() : await pc.createAnswer();
  await pc.setLocalDescription(d);
  await gathered();
  emit({ type, sdp: pc.localDescription.sdp });
}

async function handle(m) {
  switch (m.cmd) {
    case "offer": return describe("offer");
    case "answer": return describe("answer");
    case "set-remote":
      await pc.setRemoteDescription({ type: m.type, sdp: m.sdp });
      return emit({ type: "remote-set", sdpType: m.type });
    case "create-dc": {
      const opts = { ordered: m.ordered ?? true };
      if (m.maxRetransmits !== undefined && m.maxRetransmits !== null) opts.maxRetransmits = m.maxRetransmits;
      watch(pc.createDataChannel(m.label, opts));
      return emit({ type: "dc-created", label: m.label });
    }
    case "add-transceiver":
      pc.addTransceiver(m.kind, { direction: m.direction ?? "recvonly" });
      return emit({ type: "transceiver-added", kind: m.kind });
    case "send": {
      const dc = channels.get(m.label);
      if (!dc) return fail(`no data channel ${m.label}`);
      dc.send(m.base64 !== undefined ? Buffer.from(m.base64, "base64") : m.text);
      return emit({ type: "sent", label: m.label });
    }
    case "echo":
      echo = !!m.on;
      return emit({ type: "echo", on: echo });
    case "stats":
      return emit({ type: "stats", connection: pc.connectionState, ice: pc.iceConnectionState, rtp });
    case "close":
      await shutdown();
      return;
    default:
      return fail(`unknown command ${m.cmd}`);
  }
}

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  try { await pc.close(); } catch (e) { fail(`close: ${e?.message ?? e}`); }
  emit({ type: "closed" });
  process.exit(0);
}

// Commands run one after another, in arrival order.
let chain = Promise.resolve();
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let m;
  try { m = JSON.parse(line); } catch (e) { return fail(`bad JSON: ${e.message}`); }
  chain = chain.then(() => handle(m)).catch((e) => fail(`${m.cmd}: ${e?.stack ?? e}`));
});
// The test process went away: leave too.
rl.on("close", () => { chain.then(shutdown); });
process.on("uncaughtException", (e) => fail(`uncaught: ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => fail(`unhandled: ${e?.stack ?? e}`));
// A hard bound: never outlive a test run by much.
setTimeout(() => { fail("lifetime limit reached"); shutdown(); }, Number(process.env.WERIFT_PEER_LIFETIME_MS ?? 300000)).unref();
