// ice-restart: a browser page and our PeerConnection keep a data channel through ICE restarts (Pion's ice-restart).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in a browser on this machine. The page offers a data
// channel; its "ICE restart" button makes a new offer with iceRestart (new ice-ufrag and ice-pwd), which we apply to the
// same connection and answer with new credentials of our own; ICE checks again and the channel carries on. We echo
// every message. ICE uses 127.0.0.1 only.
// Usage: dotnet run --project examples/ice-restart -- [port] [seconds to run, default until Ctrl+C]
using IceRestart;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
await IceRestartExample.RunAsync(new IceRestartOptions
{
    Port = port,
    Listening = url => Console.WriteLine($"open {url} in a browser on this machine"),
}, stop.Token);
return 0;
