using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;

namespace Functional.WebRtc.Tests.Sdp;

/// <summary>The SDPs captured from headless Chromium 156 and werift 0.24.4 (both peers on 127.0.0.1), in Sdp/Data.</summary>
public static class SdpCorpus
{
    public const string ChromiumAvOffer = "chromium-av-data-offer.sdp";
    public const string ChromiumAvAnswer = "chromium-av-data-answer.sdp";
    public const string ChromiumDataOffer = "chromium-datachannel-offer.sdp";
    public const string ChromiumDataAnswer = "chromium-datachannel-answer.sdp";
    public const string WeriftAvOffer = "werift-av-data-offer.sdp";
    public const string WeriftDataOffer = "werift-datachannel-offer.sdp";

    public static readonly string[] All = [ChromiumAvOffer, ChromiumAvAnswer, ChromiumDataOffer, ChromiumDataAnswer, WeriftAvOffer, WeriftDataOffer];

    public static IEnumerable<object[]> Files => All.Select(f => new object[] { f });

    public static string Load(string name) => System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Sdp", "Data", name));

    public static SdpDescription Parse(string name) =>
        SdpParser.Parse(Load(name)).Match(d => d, e => throw new Xunit.Sdk.XunitException($"{name}: {e}"));

    public static RtcError.Syntax Error(string text) =>
        SdpParser.Parse(text).Match(
            d => throw new Xunit.Sdk.XunitException("expected a syntax error, parsed:\n" + d),
            e => Assert.IsType<RtcError.Syntax>(e));
}
