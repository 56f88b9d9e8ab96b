using Functional.WebRtc;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Signaling;

using Examples.Shared;

namespace IceRestart;

/// <summary>How the example runs: its HTTP port on 127.0.0.1 (0 picks a free one), where it logs, and who hears its address.</summary>
public sealed record IceRestartOptions
{
    public int Port { get; init; } = 8080;
    public TextWriter Log { get; init; } = Console.Out;
    /// <summary>Called once the page is served, with its address.</summary>
    public Action<Uri>? Listening { get; init; }
}

/// <summary>
/// The example's logic, callable from a test (Pion's ice-restart): serves the page; the page's first offer makes a
/// PeerConnection, and every later offer of the same page (its id in the query) is applied to that same connection, so
/// an offer with new ICE credentials (the browser's createOffer({ iceRestart: true })) restarts ICE and our answer
/// carries new credentials too (RFC 8839 4.4.1.1.1). The data channel the page opens is echoed ("echo: " + text) across
/// restarts. Runs until <paramref name="cancel"/> fires; then closes every connection and the HTTP listener.
/// <paramref name="connections"/>, when given, holds the connections by page id while they run (lock it to read).
/// </summary>
public static class IceRestartExample
{
    public static async Task RunAsync(IceRestartOptions options, CancellationToken cancel, IDictionary<string, PeerConnection>? connections = null)
    {
        var log = TextWriter.Synchronized(options.Log);
        connections ??= new Dictionary<string, PeerConnection>();
        var (listener, url) = HttpPage.Listen(options.Port);
        options.Listening?.Invoke(url);
        try
        {
            await HttpPage.ServeAsync(listener, log, async (context, path) =>
            {
                switch (path)
                {
                    case "/":
                        await HttpPage.ReplyAsync(context, "text/html", Page);
                        return true;
                    case "/offer" when context.Request.HttpMethod == "POST" && context.Request.QueryString["id"] is { Length: > 0 } id:
                        var offer = HttpPage.LoopbackOnly(await HttpPage.ReadOfferAsync(context));
                        var answer = await NegotiateAsync(Connection(connections, id, log), offer, log, cancel);
                        await HttpPage.ReplyAsync(context, "application/json", answer.ToJson());
                        return true;
                    default:
                        return false;
                }
            }, cancel);
        }
        finally
        {
            PeerConnection[] all;
            lock (connections) { all = connections.Values.ToArray(); connections.Clear(); }
            foreach (var pc in all) await pc.CloseAsync();
            listener.Stop();
        }
    }

    /// <summary>The page's connection, made on its first offer.</summary>
    private static PeerConnection Connection(IDictionary<string, PeerConnection> connections, string id, TextWriter log)
    {
        lock (connections)
        {
            if (connections.TryGetValue(id, out var known)) return known;
            var pc = new PeerConnection();
            connections[id] = pc;
            pc.OnConnectionStateChange += s => log.WriteLine($"connection: {s.ToText()}");
            pc.OnIceConnectionStateChange += s => log.WriteLine($"ice: {s.ToText()}");
            pc.OnDataChannel += channel =>
            {
                log.WriteLine($"the browser opened channel '{channel.Label}'");
                channel.OnMessage += m =>
                {
                    var text = m.IsString ? m.Text : $"{m.Data.Length} bytes";
                    log.WriteLine($"browser: {text}");
                    channel.Send($"echo: {text}");
                };
            };
            return pc;
        }
    }

    /// <summary>
    /// Applies an offer and answers it, with every candidate (vanilla ICE). On a restart the agent gathers again for the
    /// new credentials: the answer waits (a few seconds at most) for that gathering to complete.
    /// </summary>
    public static async Task<SessionDescription> NegotiateAsync(PeerConnection pc, SessionDescription offer, TextWriter log, CancellationToken cancel)
    {
        var before = pc.CurrentLocalDescription is { } current ? Ufrag(current) : null;
        await pc.SetRemoteDescriptionAsync(offer);
        await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
        await pc.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10), cancel);
        for (var waited = 0; pc.IceGatheringState != IceGatheringState.Complete && waited < 5000; waited += 20) await Task.Delay(20, cancel);
        var answer = pc.LocalDescription!;
        var after = Ufrag(answer);
        if (before is not null) log.WriteLine(before == after ? $"renegotiated, ice-ufrag still {after}" : $"ice restart: ice-ufrag {before} -> {after} (browser's {Ufrag(offer)})");
        return answer;
    }

    /// <summary>The first a=ice-ufrag of a description (session or media level), or null.</summary>
    public static string? Ufrag(SessionDescription description) =>
        description.Sdp.Split("\r\n").FirstOrDefault(l => l.StartsWith("a=ice-ufrag:", StringComparison.Ordinal))?["a=ice-ufrag:".Length..];

    /// <summary>
    /// The page: asks for the microphone once (so Chromium gathers 127.0.0.1), offers a channel 'chat', shows the ICE
    /// state, and restarts ICE with the button (or <c>window.restartIce()</c>): a new offer with iceRestart, POSTed with
    /// the page's id, whose answer it applies.
    /// </summary>
    public const string Page = """
        <!doctype html><meta charset="utf-8"><title>ice-restart</title>
        <p><button id="restart" disabled>ICE restart</button> ICE: <b id="ice">new</b></p>
        <p><input id="text" value="hello"> <button id="send" disabled>Send</button></p>
        <pre id="log"></pre>
        <script>
        window.received = [];
        window.iceStates = [];
        const id = Math.random().toString(36).slice(2);
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        const gathered = pc => new Promise(resolve => {
          // After setLocalDescription the state may still read 'complete' from the last gathering: wait for this one.
          const timer = setTimeout(resolve, 5000);
          const done = () => { clearTimeout(timer); resolve(); };
          pc.addEventListener('icecandidate', e => { if (!e.candidate) done(); });
        });
        const negotiate = async (pc, options) => {
          const complete = gathered(pc);
          await pc.setLocalDescription(await pc.createOffer(options));
          await complete;
          const answer = await (await fetch('/offer?id=' + id, { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
        };
        (async () => {
          try { (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach(t => t.stop()); } catch (e) { }
          const pc = window.pc = new RTCPeerConnection();
          pc.oniceconnectionstatechange = () => {
            window.iceStates.push(pc.iceConnectionState);
            document.getElementById('ice').textContent = pc.iceConnectionState;
            log('ice: ' + pc.iceConnectionState);
          };
          const dc = window.dc = pc.createDataChannel('chat');
          dc.onopen = () => {
            log('channel open');
            document.getElementById('send').disabled = document.getElementById('restart').disabled = false;
          };
          dc.onmessage = e => { window.received.push(e.data); log('received: ' + e.data); };
          window.restartIce = () => negotiate(pc, { iceRestart: true });
          document.getElementById('restart').onclick = () => window.restartIce().catch(e => log('error: ' + e));
          document.getElementById('send').onclick = () => dc.send(document.getElementById('text').value);
          await negotiate(pc, {});
        })().catch(e => log('error: ' + e));
        </script>
        """;
}
