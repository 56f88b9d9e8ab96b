using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using LanguageExt;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>A fact that is skipped, with a message saying why, when the openssl command is not on the machine.</summary>
public sealed class OpenSslFactAttribute : FactAttribute
{
    public OpenSslFactAttribute()
    {
        if (OpenSsl.Path is null) Skip = "openssl is not installed (looked for it on PATH): DTLS interop with OpenSSL not tested";
    }
}

/// <summary>A theory that is skipped when the openssl command is not on the machine.</summary>
public sealed class OpenSslTheoryAttribute : TheoryAttribute
{
    public OpenSslTheoryAttribute()
    {
        if (OpenSsl.Path is null) Skip = "openssl is not installed (looked for it on PATH): DTLS interop with OpenSSL not tested";
    }
}

internal static class OpenSsl
{
    public static readonly string? Path = Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(d => System.IO.Path.Combine(d, "openssl")).FirstOrDefault(File.Exists);
    public static readonly string? Stdbuf = File.Exists("/usr/bin/stdbuf") ? "/usr/bin/stdbuf" : null;
}

/// <summary>
/// Interop with OpenSSL's s_server / s_client over real UDP sockets on 127.0.0.1 (only): the handshake completes both
/// ways round, the SRTP profile agrees, and the EXTRACTOR-dtls_srtp keying material equals what OpenSSL prints.
/// </summary>
public sealed class OpenSslInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dtls-openssl-").FullName;
    private readonly List<Process> processes = [];

    public void Dispose()
    {
        foreach (var p in processes)
        {
            try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch (Exception) { }
            p.Dispose();
        }
        try { Directory.Delete(dir, recursive: true); } catch (Exception) { }
    }

    [OpenSslFact]
    public void Our_client_against_openssl_s_server_exports_the_same_keys()
    {
        var (certPem, keyPem, fingerprint) = MakeOpenSslCertificate();
        var port = FreeUdpPort();
        // The server offers both profiles; exporting 60 bytes covers either (the TLS PRF output for a shorter length
        // is a prefix of the longer one).
        var server = StartOpenSsl(
            $"s_server -dtls1_2 -accept 127.0.0.1:{port} -cert {certPem} -key {keyPem} -Verify 1 -mtu 1200 " +
            "-use_srtp SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80 -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60", out var log);
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("ACCEPT"), TimeSpan.FromSeconds(10)), "s_server did not start:\n" + log.Text);

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(IPAddress.Loopback, port);
        var ours = DtlsCertificate.Generate();
        using var client = new DtlsEndpoint(DtlsRole.Client, ours, d => udp.Send(d), [fingerprint]);
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        client.DataReceived += d => received.Enqueue(Encoding.ASCII.GetString(d));
        using var pump = Pump(udp, client);
        client.Start();

        Assert.True(DtlsTestHelpers.WaitAll(TimeSpan.FromSeconds(20), client.Handshake), $"{client.FailureReason}\n{log.Text}");
        var result = client.Result!;
        Assert.True(SpinWait.SpinUntil(() => KeyingMaterial(log.Text) is not null, TimeSpan.FromSeconds(10)), log.Text);
        var theirs = KeyingMaterial(log.Text)!;
        output.WriteLine($"profile {result.SrtpProfile}, ours {Convert.ToHexString(result.KeyingMaterial)}, openssl {Convert.ToHexString(theirs)}");
        Assert.Contains(result.SrtpProfile, new[] { DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.Aes128CmHmacSha1_80 });
        Assert.Contains("SRTP Extension negotiated, profile=" + (result.SrtpProfile == DtlsSrtpProfile.AeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80"), log.Text);
        Assert.Equal(theirs[..result.KeyingMaterial.Length], result.KeyingMaterial);
        Assert.Equal(fingerprint, result.PeerFingerprint);

        // Application data both ways: s_server prints what it receives and sends what it reads on stdin.
        Assert.True(client.Send(Encoding.ASCII.GetBytes("hello from dotnet\n")));
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("hello from dotnet"), TimeSpan.FromSeconds(10)), log.Text);
        server.StandardInput.WriteLine("hello from openssl");
        server.StandardInput.Flush();
        Assert.True(SpinWait.SpinUntil(() => received.Any(s => s.Contains("hello from openssl")), TimeSpan.FromSeconds(10)));
        client.Close();
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("shutting down SSL") || log.Text.Contains("DONE"), TimeSpan.FromSeconds(10)), "no close_notify seen by s_server:\n" + log.Text);
    }

    /// <summary>
    /// Application data with OpenSSL for each suite it is limited to: the AES-GCM ones go through our record layer
    /// (keys from the PRF with SHA-256 or SHA-384), CBC stays in BouncyCastle. Many records each way, then close_notify.
    /// </summary>
    [OpenSslTheory]
    [InlineData("ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02B, true)]
    [InlineData("ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C, true)]
    [InlineData("ECDHE-ECDSA-AES128-SHA256", 0xC023, false)]
    public void Our_client_exchanges_application_data_with_openssl_for_each_suite(string cipher, int suite, bool ours)
    {
        var (certPem, keyPem, fingerprint) = MakeOpenSslCertificate();
        var port = FreeUdpPort();
        var server = StartOpenSsl(
            $"s_server -dtls1_2 -accept 127.0.0.1:{port} -cert {certPem} -key {keyPem} -Verify 1 -mtu 1200 -cipher {cipher} " +
            "-use_srtp SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", out var log);
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("ACCEPT"), TimeSpan.FromSeconds(10)), "s_server did not start:\n" + log.Text);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(IPAddress.Loopback, port);
        using var client = new DtlsEndpoint(DtlsRole.Client, DtlsCertificate.Generate(), d => udp.Send(d), [fingerprint]);
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        client.DataReceived += d => received.Enqueue(Encoding.ASCII.GetString(d));
        using var pump = Pump(udp, client);
        client.Start();
        Assert.True(DtlsTestHelpers.WaitAll(TimeSpan.FromSeconds(20), client.Handshake), $"{client.FailureReason}\n{log.Text}");
        Assert.Equal(suite, client.Result!.CipherSuite);
        Assert.Equal(ours, client.FastApplicationData);
        // AES-GCM: our record layer runs the association and the DTLS thread ends; CBC keeps BouncyCastle's thread.
        if (ours) Assert.True(SpinWait.SpinUntil(() => client.ThreadEnded, TimeSpan.FromSeconds(10)), "DTLS thread alive after connect");
        else Assert.False(client.ThreadEnded);
        for (var i = 0; i < 30; i++) Assert.True(client.Send(Encoding.ASCII.GetBytes($"line {i} from dotnet\n")));
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("line 29 from dotnet"), TimeSpan.FromSeconds(10)), log.Text);
        Assert.All(Enumerable.Range(0, 30), i => Assert.Contains($"line {i} from dotnet", log.Text));
        for (var i = 0; i < 10; i++) server.StandardInput.WriteLine($"line {i} from openssl");
        server.StandardInput.Flush();
        Assert.True(SpinWait.SpinUntil(() => string.Concat(received).Contains("line 9 from openssl"), TimeSpan.FromSeconds(10)), string.Concat(received));
        if (ours) Assert.Equal(0L, client.ApplicationRecords!.Counters.Dropped);
        client.Close();
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("shutting down SSL") || log.Text.Contains("DONE"), TimeSpan.FromSeconds(10)), "no close_notify seen by s_server:\n" + log.Text);
    }

    [OpenSslFact]
    public void Openssl_s_client_against_our_server_exports_the_same_keys()
    {
        var (certPem, keyPem, fingerprint) = MakeOpenSslCertificate();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        IPEndPoint? peer = null;
        var ours = DtlsCertificate.Generate();
        var options = DtlsOptions.Default with { SrtpProfiles = [DtlsSrtpProfile.Aes128CmHmacSha1_80, DtlsSrtpProfile.AeadAes128Gcm] };
        using var server = new DtlsEndpoint(DtlsRole.Server, ours, d => { if (peer is { } p) udp.Send(d, p); }, [fingerprint], options);
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.DataReceived += d => received.Enqueue(Encoding.ASCII.GetString(d));
        using var pump = Pump(udp, server, from => peer ??= from);
        server.Start();

        var client = StartOpenSsl(
            $"s_client -dtls1_2 -connect 127.0.0.1:{port} -cert {certPem} -key {keyPem} -mtu 1200 " +
            "-use_srtp SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60", out var log);

        Assert.True(DtlsTestHelpers.WaitAll(TimeSpan.FromSeconds(20), server.Handshake), $"{server.FailureReason}\n{log.Text}");
        var result = server.Result!;
        Assert.Equal(DtlsSrtpProfile.Aes128CmHmacSha1_80, result.SrtpProfile);
        Assert.True(SpinWait.SpinUntil(() => KeyingMaterial(log.Text) is not null, TimeSpan.FromSeconds(10)), log.Text);
        var theirs = KeyingMaterial(log.Text)!;
        output.WriteLine($"ours {Convert.ToHexString(result.KeyingMaterial)}, openssl {Convert.ToHexString(theirs)}");
        Assert.Equal(60, result.KeyingMaterial.Length);
        Assert.Equal(theirs, result.KeyingMaterial);
        Assert.Contains("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80", log.Text);
        Assert.Equal(fingerprint, result.PeerFingerprint);
        // OpenSSL saw our certificate (it does not verify self-signed ones, but prints the subject).
        Assert.Contains("CN = WebRTC", log.Text);

        // Data from OpenSSL to us is checked against s_server; s_client's stdin (a pipe) is unreliable under load
        // (the line sometimes never reaches the wire, on BouncyCastle's record layer as on ours), so only our side sends.
        Assert.True(server.Send(Encoding.ASCII.GetBytes("pong from dotnet\n")));
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("pong from dotnet"), TimeSpan.FromSeconds(10)), log.Text);
    }

    /// <summary>
    /// Our server's final flight (ChangeCipherSpec + Finished) is lost once and we do not repeat it ourselves: the
    /// handshake completes because s_client retransmits its flight and our threadless record layer answers with ours
    /// (RFC 6347 section 4.2.4). Then s_client's close_notify closes us, and our answer goes out sealed by our layer.
    /// </summary>
    [OpenSslFact]
    public void Openssl_s_client_recovers_our_lost_final_flight_and_its_close_notify_closes_our_threadless_server()
    {
        var (certPem, keyPem, fingerprint) = MakeOpenSslCertificate();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        IPEndPoint? peer = null;
        var lost = 0;
        var options = DtlsOptions.Default with { InitialRetransmitTimeout = TimeSpan.Zero };
        using var server = new DtlsEndpoint(DtlsRole.Server, DtlsCertificate.Generate(), d =>
        {
            // Drop our first datagram that carries the ChangeCipherSpec (the start of the final flight).
            if (d.Length > 0 && d[0] == DtlsContentType.ChangeCipherSpec && Interlocked.Exchange(ref lost, 1) == 0) return;
            if (peer is { } p) udp.Send(d, p);
        }, [fingerprint], options);
        using var pump = Pump(udp, server, from => peer ??= from);
        server.Start();
        var client = StartOpenSsl(
            $"s_client -dtls1_2 -connect 127.0.0.1:{port} -cert {certPem} -key {keyPem} -mtu 1200 " +
            "-use_srtp SRTP_AEAD_AES_128_GCM -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 56", out var log);

        Assert.True(DtlsTestHelpers.WaitAll(TimeSpan.FromSeconds(20), server.Handshake), $"{server.FailureReason}\n{log.Text}");
        Assert.True(server.FastApplicationData);
        Assert.True(SpinWait.SpinUntil(() => server.ThreadEnded, TimeSpan.FromSeconds(10)), "DTLS thread alive after connect");
        // s_client prints the keying material once its handshake is done, i.e. once it got our resent final flight.
        Assert.True(SpinWait.SpinUntil(() => KeyingMaterial(log.Text) is not null, TimeSpan.FromSeconds(20)), log.Text);
        Assert.Equal(1, lost);
        Assert.True(server.Transport.Counters.Repeated >= 1, "the final flight was not resent");
        Assert.Equal(KeyingMaterial(log.Text), server.Result!.KeyingMaterial);
        output.WriteLine($"resent {server.Transport.Counters.Repeated} datagrams");

        Assert.True(server.Send(Encoding.ASCII.GetBytes("pong from dotnet\n")));
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("pong from dotnet"), TimeSpan.FromSeconds(10)), log.Text);
        // "Q" (or the end of its input) makes s_client shut down: close_notify (RFC 5246 section 7.2.1).
        client.StandardInput.WriteLine("Q");
        client.StandardInput.Close();
        Assert.True(SpinWait.SpinUntil(() => server.State == DtlsTransportState.Closed, TimeSpan.FromSeconds(15)), $"{server.State}\n{log.Text}");
        Assert.Equal("closed by the peer (close_notify)", server.FailureReason);
        Assert.True(server.ThreadEnded);
    }

    [OpenSslFact]
    public void A_wrong_fingerprint_for_openssl_fails_our_client()
    {
        var (certPem, keyPem, _) = MakeOpenSslCertificate();
        var port = FreeUdpPort();
        StartOpenSsl($"s_server -dtls1_2 -accept 127.0.0.1:{port} -cert {certPem} -key {keyPem} -mtu 1200 -use_srtp SRTP_AES128_CM_SHA1_80", out var log);
        Assert.True(SpinWait.SpinUntil(() => log.Text.Contains("ACCEPT"), TimeSpan.FromSeconds(10)), log.Text);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(IPAddress.Loopback, port);
        var ours = DtlsCertificate.Generate();
        using var client = new DtlsEndpoint(DtlsRole.Client, ours, d => udp.Send(d), [ours.Fingerprint]);
        using var pump = Pump(udp, client);
        client.Start();
        Assert.True(SpinWait.SpinUntil(() => client.State == DtlsTransportState.Failed, TimeSpan.FromSeconds(20)), $"{client.State}");
        Assert.Contains("matches no remote fingerprint", client.FailureReason);
    }

    // ---- helpers ----

    private (string Cert, string Key, Fingerprint Fingerprint) MakeOpenSslCertificate()
    {
        var cert = System.IO.Path.Combine(dir, "cert.pem");
        var key = System.IO.Path.Combine(dir, "key.pem");
        using var p = Process.Start(new ProcessStartInfo(OpenSsl.Path!,
            $"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout {key} -out {cert} -days 2 -nodes -subj /CN=openssl-peer")
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        Assert.True(p.WaitForExit(20000), "openssl req hung");
        Assert.Equal(0, p.ExitCode);
        using var x509 = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(cert));
        return (cert, key, Fingerprint.Sha256(x509.RawData));
    }

    private sealed class Log
    {
        private readonly StringBuilder text = new();
        public void Add(string? line) { if (line is null) return; lock (text) text.AppendLine(line); }
        public string Text { get { lock (text) return text.ToString(); } }
    }

    private Process StartOpenSsl(string arguments, out Log log)
    {
        var l = new Log();
        // Line-buffer OpenSSL's stdout when it is a pipe, so we see "Keying material" as soon as it is printed.
        var info = OpenSsl.Stdbuf is { } stdbuf
            ? new ProcessStartInfo(stdbuf, $"-oL -eL {OpenSsl.Path} {arguments}")
            : new ProcessStartInfo(OpenSsl.Path!, arguments);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = dir;
        var p = new Process { StartInfo = info };
        p.OutputDataReceived += (_, e) => l.Add(e.Data);
        p.ErrorDataReceived += (_, e) => l.Add(e.Data);
        Assert.True(p.Start());
        processes.Add(p);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        log = l;
        output.WriteLine($"openssl {arguments}");
        return p;
    }

    private static byte[]? KeyingMaterial(string text) =>
        Regex.Match(text, @"Keying material: ([0-9A-Fa-f]+)") is { Success: true } m ? Convert.FromHexString(m.Groups[1].Value) : null;

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    /// <summary>Reads datagrams on a background thread and hands them to the endpoint until disposed.</summary>
    private static IDisposable Pump(UdpClient udp, DtlsEndpoint endpoint, Action<IPEndPoint>? onFrom = null)
    {
        var stop = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            var buffer = new byte[65536];
            EndPoint from = new IPEndPoint(IPAddress.Loopback, 0);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var n = udp.Client.ReceiveFrom(buffer, ref from);
                    var source = (IPEndPoint)from;
                    if (!source.Address.Equals(IPAddress.Loopback)) continue;
                    onFrom?.Invoke(source);
                    if (n > 0 && PacketDemux.Classify(buffer[0]) == PacketKind.Dtls) endpoint.ReceiveDatagram(buffer.AsSpan(0, n));
                }
                catch (SocketException) { if (stop.IsCancellationRequested) break; }
                catch (ObjectDisposedException) { break; }
            }
        }) { IsBackground = true, Name = "test-udp-pump" };
        thread.Start();
        return new Stopper(() => { stop.Cancel(); udp.Close(); thread.Join(5000); });
    }

    private sealed class Stopper(Action stop) : IDisposable { public void Dispose() => stop(); }
}
