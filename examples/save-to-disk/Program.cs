// save-to-disk: a browser page sends its camera and microphone to our PeerConnection, which writes the VP8 to output.ivf
// (or H.264 to output.h264, with ?codec=H264) and the Opus to output.ogg (Pion's save-to-disk example).
// Serves http://127.0.0.1:PORT/ (default 8080); ICE uses 127.0.0.1 only. For Chromium to gather a 127.0.0.1 candidate,
// start it with --allow-loopback-in-peer-connection; with --use-fake-device-for-media-stream --use-fake-ui-for-media-stream
// it sends a test pattern and a beep (see README.md).
// Usage: dotnet run --project examples/save-to-disk -- [port] [seconds to run, default until Ctrl+C] [output directory, default .]
using SaveToDisk;

var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var seconds = args.Length > 1 ? int.Parse(args[1]) : -1;
var directory = Path.GetFullPath(args.Length > 2 ? args[2] : ".");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(seconds));

await using var server = SaveToDiskServer.Start(port, directory, Console.Out);
Console.WriteLine($"open {server.Url} (or {server.Url}?codec=H264) in a browser on this machine; files go to {directory}");
try { await Task.Delay(Timeout.Infinite, stop.Token); }
catch (OperationCanceledException) { }
var written = await server.FinishAsync();
if (written.Count == 0) Console.WriteLine("nothing was received");
return 0;
