// data-channels: a browser page and our PeerConnection exchange messages (Pion's data-channels example).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in a browser on this machine. The page offers, we
// answer over HTTP, a channel opens, the page says hello and we echo every message. ICE uses 127.0.0.1 only.
// For Chromium to gather a 127.0.0.1 candidate, start it with --allow-loopback-in-peer-connection (see INTEROP notes);
// the page asks for the microphone once because Chromium only gathers loopback candidates after getUserMedia.
// Usage: dotnet run --project examples/data-channels -- [port] [seconds to run, default until Ctrl+C]
using System.Net;
using System.Text;
using Functional.WebRtc;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));

var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{port}/");
listener.Start();
Console.WriteLine($"open http://127.0.0.1:{port}/ in a browser on this machine");
var connections = new List<PeerConnection>();

try
{
    while (!stop.IsCancellationRequested)
    {
        var context = await listener.GetContextAsync().WaitAsync(stop.Token);
        var request = context.Request;
        try
        {
            switch (request.Url?.AbsolutePath)
            {
                case "/":
                    await Reply(context, "text/html", Page);
                    break;
                case "/offer" when request.HttpMethod == "POST":
                    var offerJson = await new StreamReader(request.InputStream, Encoding.UTF8).ReadToEndAsync();
                    var offer = SessionDescription.FromJson(offerJson).IfLeft(e => throw RtcException.From(e));
                    var pc = new PeerConnection();
                    connections.Add(pc);
                    pc.OnConnectionStateChange += s => Console.WriteLine($"connection: {s.ToText()}");
                    pc.OnDataChannel += channel =>
                    {
                        Console.WriteLine($"the browser opened channel '{channel.Label}'");
                        channel.OnMessage += m =>
                        {
                            var text = m.IsString ? m.Text : $"{m.Data.Length} bytes";
                            Console.WriteLine($"browser: {text}");
                            channel.Send($"echo: {text}");
                        };
                    };
                    await pc.SetRemoteDescriptionAsync(offer);
                    await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
                    await pc.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10));
                    await Reply(context, "application/json", pc.LocalDescription!.ToJson());
                    break;
                case "/log" when request.HttpMethod == "POST":
                    Console.WriteLine($"page: {await new StreamReader(request.InputStream, Encoding.UTF8).ReadToEndAsync()}");
                    await Reply(context, "text/plain", "ok");
                    break;
                default:
                    context.Response.StatusCode = 404;
                    context.Response.Close();
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.WriteLine($"error: {e.Message}");
            context.Response.StatusCode = 500;
            context.Response.Close();
        }
    }
}
catch (OperationCanceledException) { }
finally
{
    foreach (var pc in connections) await pc.CloseAsync();
    listener.Stop();
}
return 0;

static async Task Reply(HttpListenerContext context, string type, string body)
{
    var bytes = Encoding.UTF8.GetBytes(body);
    context.Response.ContentType = type;
    context.Response.ContentLength64 = bytes.Length;
    await context.Response.OutputStream.WriteAsync(bytes);
    context.Response.Close();
}

partial class Program
{
    private const string Page = """
        <!doctype html><meta charset="utf-8"><title>data-channels</title>
        <pre id="log"></pre>
        <script>
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        (async () => {
          try { (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach(t => t.stop()); } catch (e) { }
          const pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log('connection: ' + pc.connectionState);
          const dc = pc.createDataChannel('chat');
          dc.onopen = () => { log('channel open'); dc.send('hello from the browser'); };
          dc.onmessage = e => log('received: ' + e.data);
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
