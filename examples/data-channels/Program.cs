// data-channels: a browser page and our PeerConnection exchange messages (Pion's data-channels example).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in a browser on this machine. The page offers, we
// answer over HTTP, a channel opens, the page says hello and we echo every message. ICE uses 127.0.0.1 only.
// For Chromium to gather a 127.0.0.1 candidate, start it with --allow-loopback-in-peer-connection (see INTEROP notes);
// the page asks for the microphone once because Chromium only gathers loopback candidates after getUserMedia.
// Usage: dotnet run --project examples/data-channels -- [port] [seconds to run, default until Ctrl+C]
using DataChannels;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
await DataChannelsExample.RunAsync(new ExampleOptions
{
    Port = port,
    Listening = url => Console.WriteLine($"open {url} in a browser on this machine"),
}, stop.Token);
return 0;
