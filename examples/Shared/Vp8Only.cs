using Functional.WebRtc.Core.Signaling;

namespace Examples.Shared;

/// <summary>The media engine of the examples that pass video through unchanged (reflect, broadcast).</summary>
internal static class ExampleMedia
{
    /// <summary>VP8 only (as Pion's reflect and broadcast register), with its RTX: what comes in can go out as it is.</summary>
    public static readonly MediaEngine Vp8Only = MediaEngine.Default with
    {
        Codecs = MediaEngine.Default.Codecs.Filter(c => c.Name is "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
    };
}
