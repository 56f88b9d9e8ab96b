// broadcast: one browser page publishes its camera, any number of later pages watch it (Pion's broadcast).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in browsers on this machine. "Publish a broadcast"
// sends the camera to our PeerConnection; "Join the broadcast" receives it: every packet of the publisher's track is
// written once to a TrackLocalStaticRtp that every subscriber's connection sends, and a subscriber's keyframe request
// (PLI, FIR) goes to the publisher as a PLI, so a new viewer gets a keyframe. ICE uses 127.0.0.1 only.
// Usage: dotnet run --project examples/broadcast -- [port] [seconds to run, default until Ctrl+C]
using Broadcast;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
await BroadcastExample.RunAsync(new BroadcastOptions
{
    Port = port,
    Listening = url => Console.WriteLine($"open {url}?publish in one browser tab, then {url}?subscribe in others (on this machine)"),
}, stop.Token);
return 0;
