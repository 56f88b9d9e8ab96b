using System.Net;
using System.Net.Sockets;
using System.Text;
using Functional.WebRtc;

namespace Examples.Shared;

/// <summary>The example's tiny web server on 127.0.0.1 (HttpListener): the page, the offer/answer exchange, the page's log.</summary>
internal static class HttpPage
{
    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>; port 0 takes a free one (a few tries, as it may be taken between).</summary>
    public static (HttpListener Listener, Uri Url) Listen(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var p = port;
            if (p == 0)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                p = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{p}/");
            try
            {
                listener.Start();
                return (listener, new Uri($"http://127.0.0.1:{p}/"));
            }
            catch (HttpListenerException) when (port == 0 && attempt < 10) { listener.Close(); }
        }
    }

    /// <summary>
    /// Serves requests until <paramref name="cancel"/> fires: <paramref name="handle"/> answers a path (false: 404); POST /log
    /// prints what the page logs. Each request runs on its own task, so a slow answer does not hold the others.
    /// </summary>
    public static async Task ServeAsync(HttpListener listener, TextWriter log, Func<HttpListenerContext, string, Task<bool>> handle, CancellationToken cancel)
    {
        var running = new List<Task>();
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync().WaitAsync(cancel);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var path = context.Request.Url?.AbsolutePath ?? "/";
                        if (path == "/log" && context.Request.HttpMethod == "POST")
                        {
                            log.WriteLine($"page: {await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync(cancel)}");
                            await ReplyAsync(context, "text/plain", "ok");
                        }
                        else if (!await handle(context, path))
                        {
                            context.Response.StatusCode = 404;
                            context.Response.Close();
                        }
                    }
                    catch (Exception e)
                    {
                        log.WriteLine($"error: {e.Message}");
                        try { context.Response.StatusCode = 500; context.Response.Close(); } catch (Exception) { }
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(TimeSpan.FromSeconds(15)));
    }

    /// <summary>
    /// What every example's server does: serves <paramref name="page"/> at "/" on 127.0.0.1:<paramref name="port"/>, and
    /// answers each offer the page POSTs to "/offer" (its candidates kept to 127.0.0.1) with a new PeerConnection made by
    /// <paramref name="create"/>: remote description, then <paramref name="prepare"/> (add tracks; it returns what to start
    /// once the answer is sent, or null), answer, complete gathering, reply. Runs until <paramref name="cancel"/> fires;
    /// then awaits <paramref name="beforeClose"/>, closes every connection and stops listening.
    /// </summary>
    public static async Task ServeOffersAsync(int port, Action<Uri>? listening, TextWriter log, string page,
        Func<PeerConnection> create, Func<PeerConnection, Action?> prepare, CancellationToken cancel, Func<Task>? beforeClose = null)
    {
        var (listener, url) = Listen(port);
        listening?.Invoke(url);
        var connections = new List<PeerConnection>();
        try
        {
            await ServeAsync(listener, log, async (context, path) =>
            {
                switch (path)
                {
                    case "/":
                        await ReplyAsync(context, "text/html", page);
                        return true;
                    case "/offer" when context.Request.HttpMethod == "POST":
                        var offer = LoopbackOnly(await ReadOfferAsync(context));
                        var pc = create();
                        lock (connections) connections.Add(pc);
                        pc.OnConnectionStateChange += s => log.WriteLine($"connection: {s.ToText()}");
                        await pc.SetRemoteDescriptionAsync(offer);
                        var answered = prepare(pc);
                        await pc.SetLocalDescriptionAsync(await pc.CreateAnswerAsync());
                        await pc.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10), cancel);
                        await ReplyAsync(context, "application/json", pc.LocalDescription!.ToJson());
                        answered?.Invoke();
                        return true;
                    default:
                        return false;
                }
            }, cancel);
        }
        finally
        {
            if (beforeClose is not null) await beforeClose();
            PeerConnection[] all;
            lock (connections) all = connections.ToArray();
            foreach (var pc in all) await pc.CloseAsync();
            listener.Stop();
        }
    }

    public static async Task ReplyAsync(HttpListenerContext context, string type, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = type;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public static async Task<SessionDescription> ReadOfferAsync(HttpListenerContext context)
    {
        var json = await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
        return SessionDescription.FromJson(json).IfLeft(e => throw RtcException.From(e));
    }

    /// <summary>Keeps only the browser's candidates on 127.0.0.1: this example never reaches beyond the machine.</summary>
    public static SessionDescription LoopbackOnly(SessionDescription offer) => SessionDescription.Offer(string.Join("\r\n",
        offer.Sdp.Split("\r\n").Where(l => !l.StartsWith("a=candidate", StringComparison.Ordinal) || l.Contains(" 127.0.0.1 ", StringComparison.Ordinal))));
}
