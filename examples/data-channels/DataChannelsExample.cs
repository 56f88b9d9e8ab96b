using System.Net;
using System.Text;
using Functional.WebRtc;

using Examples.Shared;

namespace DataChannels;

/// <summary>How an example runs: its HTTP port on 127.0.0.1 (0 picks a free one), where it logs, and who hears its address.</summary>
public sealed record ExampleOptions
{
    public int Port { get; init; } = 8080;
    public TextWriter Log { get; init; } = Console.Out;
    /// <summary>Called once the page is served, with its address.</summary>
    public Action<Uri>? Listening { get; init; }
}

/// <summary>
/// The example's logic, callable from a test: serves the page, answers each offer the page POSTs with a new
/// PeerConnection, logs the browser's messages and echoes each one ("echo: " + text) on the same channel. Runs until
/// <paramref name="cancel"/> fires; then closes every connection and the HTTP listener.
/// </summary>
public static class DataChannelsExample
{
    public static async Task RunAsync(ExampleOptions options, CancellationToken cancel)
    {
        var log = TextWriter.Synchronized(options.Log);
        await HttpPage.ServeOffersAsync(options.Port, options.Listening, log, Page,
            create: () =>
            {
                var pc = new PeerConnection();
                Handle(pc, log);
                return pc;
            },
            prepare: _ => null, cancel);
    }

    /// <summary>Echoes every message of every channel the browser opens.</summary>
    private static void Handle(PeerConnection pc, TextWriter log)
    {
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
    }

    /// <summary>The page: asks for the microphone once (so Chromium gathers 127.0.0.1), offers a channel 'chat', says hello.</summary>
    public const string Page = """
        <!doctype html><meta charset="utf-8"><title>data-channels</title>
        <pre id="log"></pre>
        <script>
        window.received = [];
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        (async () => {
          try { (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach(t => t.stop()); } catch (e) { }
          const pc = window.pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log('connection: ' + pc.connectionState);
          const dc = window.dc = pc.createDataChannel('chat');
          dc.onopen = () => { log('channel open'); dc.send('hello from the browser'); };
          dc.onmessage = e => { window.received.push(e.data); log('received: ' + e.data); };
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          });
          const answer = await (await fetch('/offer', { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
        })().catch(e => log('error: ' + e));
        </script>
        """;
}
