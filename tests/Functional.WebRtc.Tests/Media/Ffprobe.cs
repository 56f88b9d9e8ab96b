using System.Diagnostics;
using System.Text.Json;

namespace Functional.WebRtc.Tests.Media;

/// <summary>What Debian's ffprobe decoded of a file's first stream of one type, frame by frame.</summary>
public sealed record ProbedStream(string CodecName, int Width, int Height, int FramesDecoded, string Errors)
{
    public override string ToString() => $"{CodecName} {Width}x{Height}, {FramesDecoded} frames decoded, errors: '{Errors}'";
}

/// <summary>
/// Debian's ffprobe and ffmpeg (installed by .ci/setup) as judges of the files we write: <c>-v error</c> prints nothing
/// unless decoding fails, and <c>-count_frames</c> decodes every frame.
/// </summary>
public static class Ffprobe
{
    public const string FfprobePath = "/usr/bin/ffprobe";
    public const string FfmpegPath = "/usr/bin/ffmpeg";

    /// <summary>Why ffprobe tests cannot run here, or null.</summary>
    public static string? Missing =>
        File.Exists(FfprobePath) && File.Exists(FfmpegPath) ? null : "ffprobe/ffmpeg not installed (apt-get install ffmpeg; .ci/setup does it)";

    /// <summary>Decodes every frame of the first <paramref name="streamType"/> ("v" or "a") stream; <c>-f</c> forces a demuxer.</summary>
    public static async Task<ProbedStream> ProbeAsync(string path, string streamType, string? format = null)
    {
        var args = new List<string> { "-v", "error", "-count_frames", "-select_streams", streamType + ":0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json" };
        if (format is not null) args.AddRange(["-f", format]);
        args.Add(path);
        var (stdout, stderr) = await RunAsync(FfprobePath, args);
        using var json = JsonDocument.Parse(stdout.Length == 0 ? "{}" : stdout);
        if (!json.RootElement.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            return new ProbedStream("", 0, 0, 0, $"no {streamType} stream; {stderr}");
        var s = streams[0];
        int Int(string name) => s.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.Number ? v.GetInt32() : int.TryParse(v.GetString(), out var n) ? n : 0
            : 0;
        return new ProbedStream(s.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "" : "", Int("width"), Int("height"),
            Int("nb_read_frames"), stderr.Trim());
    }

    /// <summary>Decodes the whole file with ffmpeg to nowhere; returns what it printed at level error (empty: no error).</summary>
    public static async Task<string> DecodeErrorsAsync(string path, string? format = null)
    {
        var args = new List<string> { "-nostdin", "-v", "error" };
        if (format is not null) args.AddRange(["-f", format]);
        args.AddRange(["-i", path, "-f", "null", "-"]);
        var (_, stderr) = await RunAsync(FfmpegPath, args);
        return stderr.Trim();
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(string exe, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{exe} did not finish within 60 s");
        }
        return (await stdout, await stderr + (process.ExitCode != 0 ? $" (exit code {process.ExitCode})" : ""));
    }
}

/// <summary>A browser test that also needs ffprobe (and, for H.264, Chromium's OpenH264 encoder library); skips cleanly without.</summary>
public sealed class BrowserMediaFactAttribute : FactAttribute
{
    /// <summary>Debian's Chromium encodes H.264 with the system's OpenH264 (it links libopenh264.so.7).</summary>
    public static string? OpenH264Missing =>
        new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib" }
            .Any(d => Directory.Exists(d) && Directory.EnumerateFiles(d, "libopenh264.so*").Any())
            ? null : "Chromium cannot encode H.264 here: libopenh264 (its H.264 encoder) is not installed";

    public BrowserMediaFactAttribute(bool h264 = false)
    {
        var why = new[] { Interop.InteropEnvironment.ChromiumMissing, Ffprobe.Missing, h264 ? OpenH264Missing : null }
            .Where(w => w is not null).ToArray();
        if (why.Length > 0) Skip = string.Join("; ", why);
    }
}
