// reflect: a browser page sends its camera to our PeerConnection, which sends the same RTP straight back (Pion's reflect).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in a browser on this machine. The page offers its
// camera's video, we answer with VP8 and a TrackLocalStaticRtp, and every packet of the browser's track goes back out on
// it; a PLI or FIR from the browser's receiver is forwarded upstream as a PLI to the browser's sender. ICE uses 127.0.0.1 only.
// Usage: dotnet run --project examples/reflect -- [port] [seconds to run, default until Ctrl+C]
using Reflect;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
await ReflectExample.RunAsync(new ReflectOptions
{
    Port = port,
    Listening = url => Console.WriteLine($"open {url} in a browser on this machine"),
}, stop.Token);
return 0;
