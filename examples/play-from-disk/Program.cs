// play-from-disk: sends a VP8 IVF file and an Opus Ogg file to a browser page (Pion's play-from-disk example).
// Serves a page on http://127.0.0.1:PORT/ (default 8080); open it in a browser on this machine. The page offers to
// receive audio and video, we answer over HTTP and play the files through TrackLocalStaticSample, paced in real time.
// Without files it makes 10-second test files with Debian's ffmpeg (libvpx, libopus):
//   ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -t 10 -c:v libvpx -g 30 video.ivf
//   ffmpeg -f lavfi -i sine=frequency=440 -t 10 -c:a libopus -frame_duration 20 audio.ogg
// Usage: dotnet run --project examples/play-from-disk -- [video.ivf] [audio.ogg] [--port N] [--loop] [--seconds N]
using PlayFromDisk;

var files = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToArray();
int Option(string name, int otherwise) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : otherwise;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (Option("--seconds", -1) is > 0 and var seconds) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
await PlayFromDiskExample.RunAsync(new PlayFromDiskOptions
{
    Port = Option("--port", 8080),
    VideoPath = files.ElementAtOrDefault(0),
    AudioPath = files.ElementAtOrDefault(1),
    Loop = args.Contains("--loop"),
    Listening = url => Console.WriteLine($"open {url} in a browser on this machine"),
}, stop.Token);
return 0;
