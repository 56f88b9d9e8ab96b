using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core.Sdp;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Parse and write the real Chromium 156 audio+video+data-channel offer (tests/Functional.WebRtc.Tests/Sdp/Data/chromium-av-data-offer.sdp).
/// Goal (issue): parse under 5 us and under 7.5 KB allocated (Pion: ~20 us, 15 KB, 42 allocations).
/// </summary>
[MemoryDiagnoser]
public class SdpBenchmarks
{
    private SdpDescription parsed = null!;

    [GlobalSetup]
    public void Setup() => parsed = SdpParser.Parse(ChromiumOffer).Match(d => d, e => throw new InvalidOperationException(e.ToString()));

    [Benchmark]
    public SdpDescription? Parse() => SdpParser.TryParse(ChromiumOffer, out var d, out _) ? d : null;

    [Benchmark]
    public string Write() => SdpWriter.Write(parsed);

    /// <summary>Typed reads the JSEP code does on a remote offer: mids, ICE credentials, fingerprint, codecs.</summary>
    [Benchmark]
    public int ReadTyped()
    {
        var n = 0;
        foreach (var m in parsed.Media)
        {
            n += m.Mid().IsSome ? 1 : 0;
            n += parsed.IceCredentials(m).IsSome ? 1 : 0;
            n += m.Fingerprints().Count;
            n += m.RtpMaps().Count;
        }
        return n;
    }

    public const string ChromiumOffer =
        "v=0\r\n" +
        "o=- 6462869854546864604 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0 1 2\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS a2751b60-689b-4ae8-ab65-5f7628a33f4e\r\n" +
        "m=audio 38375 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=candidate:3039745631 1 udp 2122260223 127.0.0.1 38375 typ host generation 0 network-id 1 network-cost 50\r\n" +
        "a=candidate:1266942667 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50\r\n" +
        "a=ice-ufrag:pxDR\r\n" +
        "a=ice-pwd:yjiYXTEx0HFFcIEb/n3C3kxe\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 F3:1C:EC:B9:20:48:C0:D8:F3:10:DC:2D:9A:02:94:8F:C8:6D:43:CE:51:1B:64:11:7B:82:85:7A:7A:47:8B:60\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:a2751b60-689b-4ae8-ab65-5f7628a33f4e a978ede6-9083-4aea-bb1c-cd044acd7d81\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtcp-xr:rcvr-rtt=all\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=rtcp-fb:111 transport-cc\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "a=rtpmap:63 red/48000/2\r\n" +
        "a=fmtp:63 111/111\r\n" +
        "a=rtpmap:9 G722/8000\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:13 CN/8000\r\n" +
        "a=rtpmap:110 telephone-event/48000\r\n" +
        "a=rtpmap:126 telephone-event/8000\r\n" +
        "a=ssrc:2972308209 cname:G8PsPIya3iKmSHhB\r\n" +
        "a=ssrc:2972308209 msid:a2751b60-689b-4ae8-ab65-5f7628a33f4e a978ede6-9083-4aea-bb1c-cd044acd7d81\r\n" +
        "m=video 44663 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=candidate:3039745631 1 udp 2122260223 127.0.0.1 44663 typ host generation 0 network-id 1 network-cost 50\r\n" +
        "a=candidate:1266942667 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50\r\n" +
        "a=ice-ufrag:pxDR\r\n" +
        "a=ice-pwd:yjiYXTEx0HFFcIEb/n3C3kxe\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 F3:1C:EC:B9:20:48:C0:D8:F3:10:DC:2D:9A:02:94:8F:C8:6D:43:CE:51:1B:64:11:7B:82:85:7A:7A:47:8B:60\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:1\r\n" +
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:13 urn:3gpp:video-orientation\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n" +
        "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n" +
        "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n" +
        "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n" +
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:a2751b60-689b-4ae8-ab65-5f7628a33f4e 80d20c57-57a5-4005-a307-0b67c46cc3fb\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtcp-xr:rcvr-rtt=all\r\n" +
        "a=rtpmap:96 VP8/90000\r\n" +
        "a=rtcp-fb:96 goog-remb\r\n" +
        "a=rtcp-fb:96 transport-cc\r\n" +
        "a=rtcp-fb:96 ccm fir\r\n" +
        "a=rtcp-fb:96 nack\r\n" +
        "a=rtcp-fb:96 nack pli\r\n" +
        "a=rtpmap:97 rtx/90000\r\n" +
        "a=fmtp:97 apt=96\r\n" +
        "a=rtpmap:102 H264/90000\r\n" +
        "a=rtcp-fb:102 goog-remb\r\n" +
        "a=rtcp-fb:102 transport-cc\r\n" +
        "a=rtcp-fb:102 ccm fir\r\n" +
        "a=rtcp-fb:102 nack\r\n" +
        "a=rtcp-fb:102 nack pli\r\n" +
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n" +
        "a=rtpmap:103 rtx/90000\r\n" +
        "a=fmtp:103 apt=102\r\n" +
        "a=rtpmap:104 H264/90000\r\n" +
        "a=rtcp-fb:104 goog-remb\r\n" +
        "a=rtcp-fb:104 transport-cc\r\n" +
        "a=rtcp-fb:104 ccm fir\r\n" +
        "a=rtcp-fb:104 nack\r\n" +
        "a=rtcp-fb:104 nack pli\r\n" +
        "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n" +
        "a=rtpmap:107 rtx/90000\r\n" +
        "a=fmtp:107 apt=104\r\n" +
        "a=rtpmap:108 H264/90000\r\n" +
        "a=rtcp-fb:108 goog-remb\r\n" +
        "a=rtcp-fb:108 transport-cc\r\n" +
        "a=rtcp-fb:108 ccm fir\r\n" +
        "a=rtcp-fb:108 nack\r\n" +
        "a=rtcp-fb:108 nack pli\r\n" +
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n" +
        "a=rtpmap:109 rtx/90000\r\n" +
        "a=fmtp:109 apt=108\r\n" +
        "a=rtpmap:114 H264/90000\r\n" +
        "a=rtcp-fb:114 goog-remb\r\n" +
        "a=rtcp-fb:114 transport-cc\r\n" +
        "a=rtcp-fb:114 ccm fir\r\n" +
        "a=rtcp-fb:114 nack\r\n" +
        "a=rtcp-fb:114 nack pli\r\n" +
        "a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n" +
        "a=rtpmap:115 rtx/90000\r\n" +
        "a=fmtp:115 apt=114\r\n" +
        "a=rtpmap:116 H264/90000\r\n" +
        "a=rtcp-fb:116 goog-remb\r\n" +
        "a=rtcp-fb:116 transport-cc\r\n" +
        "a=rtcp-fb:116 ccm fir\r\n" +
        "a=rtcp-fb:116 nack\r\n" +
        "a=rtcp-fb:116 nack pli\r\n" +
        "a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n" +
        "a=rtpmap:117 rtx/90000\r\n" +
        "a=fmtp:117 apt=116\r\n" +
        "a=rtpmap:39 H264/90000\r\n" +
        "a=rtcp-fb:39 goog-remb\r\n" +
        "a=rtcp-fb:39 transport-cc\r\n" +
        "a=rtcp-fb:39 ccm fir\r\n" +
        "a=rtcp-fb:39 nack\r\n" +
        "a=rtcp-fb:39 nack pli\r\n" +
        "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n" +
        "a=rtpmap:40 rtx/90000\r\n" +
        "a=fmtp:40 apt=39\r\n" +
        "a=rtpmap:45 AV1/90000\r\n" +
        "a=rtcp-fb:45 goog-remb\r\n" +
        "a=rtcp-fb:45 transport-cc\r\n" +
        "a=rtcp-fb:45 ccm fir\r\n" +
        "a=rtcp-fb:45 nack\r\n" +
        "a=rtcp-fb:45 nack pli\r\n" +
        "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n" +
        "a=rtpmap:46 rtx/90000\r\n" +
        "a=fmtp:46 apt=45\r\n" +
        "a=rtpmap:98 VP9/90000\r\n" +
        "a=rtcp-fb:98 goog-remb\r\n" +
        "a=rtcp-fb:98 transport-cc\r\n" +
        "a=rtcp-fb:98 ccm fir\r\n" +
        "a=rtcp-fb:98 nack\r\n" +
        "a=rtcp-fb:98 nack pli\r\n" +
        "a=fmtp:98 profile-id=0\r\n" +
        "a=rtpmap:99 rtx/90000\r\n" +
        "a=fmtp:99 apt=98\r\n" +
        "a=rtpmap:100 VP9/90000\r\n" +
        "a=rtcp-fb:100 goog-remb\r\n" +
        "a=rtcp-fb:100 transport-cc\r\n" +
        "a=rtcp-fb:100 ccm fir\r\n" +
        "a=rtcp-fb:100 nack\r\n" +
        "a=rtcp-fb:100 nack pli\r\n" +
        "a=fmtp:100 profile-id=2\r\n" +
        "a=rtpmap:101 rtx/90000\r\n" +
        "a=fmtp:101 apt=100\r\n" +
        "a=rtpmap:118 red/90000\r\n" +
        "a=rtpmap:119 rtx/90000\r\n" +
        "a=fmtp:119 apt=118\r\n" +
        "a=rtpmap:120 ulpfec/90000\r\n" +
        "a=ssrc-group:FID 3833016318 3387770312\r\n" +
        "a=ssrc:3833016318 cname:G8PsPIya3iKmSHhB\r\n" +
        "a=ssrc:3833016318 msid:a2751b60-689b-4ae8-ab65-5f7628a33f4e 80d20c57-57a5-4005-a307-0b67c46cc3fb\r\n" +
        "a=ssrc:3387770312 cname:G8PsPIya3iKmSHhB\r\n" +
        "a=ssrc:3387770312 msid:a2751b60-689b-4ae8-ab65-5f7628a33f4e 80d20c57-57a5-4005-a307-0b67c46cc3fb\r\n" +
        "m=application 37258 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "a=candidate:3039745631 1 udp 2122260223 127.0.0.1 37258 typ host generation 0 network-id 1 network-cost 50\r\n" +
        "a=candidate:1266942667 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50\r\n" +
        "a=ice-ufrag:pxDR\r\n" +
        "a=ice-pwd:yjiYXTEx0HFFcIEb/n3C3kxe\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 F3:1C:EC:B9:20:48:C0:D8:F3:10:DC:2D:9A:02:94:8F:C8:6D:43:CE:51:1B:64:11:7B:82:85:7A:7A:47:8B:60\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:2\r\n" +
        "a=sctp-port:5000\r\n" +
        "a=max-message-size:262144\r\n";
}
