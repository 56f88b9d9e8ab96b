namespace Functional.WebRtc.Tests.Interop;

/// <summary>The page a <see cref="BrowserPeer"/> loads: one RTCPeerConnection driven through <c>window.__peer</c>.</summary>
internal static class BrowserPage
{
    public const string Url = "http://127.0.0.1/interop-peer.html";

    // Events go to C# through the exposed function window.__emit(json). Every wait in the page is bounded.
    public const string Html = """
<!doctype html>
<html><head><meta charset="utf-8"><title>interop peer</title></head>
<body>
<script>
window.__peer = (() => {
  let pc = null, echo = false;
  const channels = new Map();
  const emit = (o) => { try { window.__emit(JSON.stringify(o)); } catch (e) { } };
  const fail = (m) => emit({ type: 'error', message: String(m) });
  const toB64 = (buf) => { const u = new Uint8Array(buf); let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); };
  const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

  function watch(dc) {
    dc.binaryType = 'arraybuffer';
    channels.set(dc.label, dc);
    dc.onopen = () => emit({ type: 'dc-open', label: dc.label, id: dc.id });
    dc.onclose = () => emit({ type: 'dc-close', label: dc.label });
    dc.onerror = (e) => fail('data channel ' + dc.label + ': ' + (e.error ? e.error.message : e));
    dc.onmessage = (m) => {
      if (typeof m.data === 'string') emit({ type: 'message', label: dc.label, text: m.data });
      else emit({ type: 'message', label: dc.label, base64: toB64(m.data) });
      if (echo) { try { dc.send(m.data); } catch (e) { fail('echo on ' + dc.label + ': ' + e.message); } }
    };
    if (dc.readyState === 'open') emit({ type: 'dc-open', label: dc.label, id: dc.id });
  }

  function gathered(timeoutMs) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ICE gathering did not complete within ' + timeoutMs + ' ms')), timeoutMs);
      const check = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', check); resolve(); } };
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  return {
    // getUserMedia first (it is what lets Chromium gather a 127.0.0.1 host candidate), then the RTCPeerConnection.
    async start(o) {
      echo = !!o.echo;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
      pc = new RTCPeerConnection({ iceServers: [] });
      for (const t of stream.getTracks()) {
        if ((t.kind === 'audio' && o.audio) || (t.kind === 'video' && o.video)) pc.addTrack(t, stream);
        else t.stop();
      }
      pc.onicecandidate = (e) => {
        if (!e.candidate) emit({ type: 'candidate', candidate: null });
        else if (e.candidate.candidate) emit({ type: 'candidate', candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
      };
      pc.onconnectionstatechange = () => emit({ type: 'state', kind: 'connection', state: pc.connectionState });
      pc.oniceconnectionstatechange = () => emit({ type: 'state', kind: 'ice', state: pc.iceConnectionState });
      pc.onicegatheringstatechange = () => emit({ type: 'state', kind: 'gathering', state: pc.iceGatheringState });
      pc.ondatachannel = (e) => watch(e.channel);
      pc.ontrack = (e) => emit({ type: 'track', kind: e.track.kind, mid: e.transceiver ? e.transceiver.mid : null });
      return true;
    },
    async createOffer() { return (await pc.createOffer()).sdp; },
    async createAnswer() { return (await pc.createAnswer()).sdp; },
    async setLocal(a) { await pc.setLocalDescription({ type: a.type, sdp: a.sdp }); return true; },
    async setRemote(a) { await pc.setRemoteDescription({ type: a.type, sdp: a.sdp }); return true; },
    async localDescription(timeoutMs) {
      await gathered(timeoutMs);
      return JSON.stringify({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    },
    async addIceCandidate(c) {
      if (c.candidate === null) await pc.addIceCandidate();
      else await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
      return true;
    },
    createDataChannel(a) {
      const init = { ordered: a.ordered };
      if (a.maxRetransmits !== null && a.maxRetransmits !== undefined) init.maxRetransmits = a.maxRetransmits;
      watch(pc.createDataChannel(a.label, init));
      return true;
    },
    addTransceiver(a) { pc.addTransceiver(a.kind, { direction: a.direction }); return true; },
    send(a) {
      const dc = channels.get(a.label);
      if (!dc) throw new Error('no data channel ' + a.label);
      dc.send(a.base64 !== null && a.base64 !== undefined ? fromB64(a.base64) : a.text);
      return true;
    },
    closeChannel(label) { const dc = channels.get(label); if (dc) dc.close(); return true; },
    setEcho(on) { echo = !!on; return true; },
    states() {
      return JSON.stringify({ connection: pc.connectionState, ice: pc.iceConnectionState, gathering: pc.iceGatheringState, signaling: pc.signalingState });
    },
    async stats() { const r = await pc.getStats(); return JSON.stringify([...r.values()]); },
    close() { if (pc) pc.close(); return true; },
    get pc() { return pc; },
  };
})();
</script>
</body></html>
""";
}
