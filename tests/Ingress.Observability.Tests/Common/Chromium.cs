using Microsoft.Playwright;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// One headless Debian Chromium (<c>/usr/bin/chromium</c>) driven by Playwright's bundled Node driver, shared by the
/// browser tests. No browser is downloaded: Playwright only launches the system binary.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>The bound on every wait and assertion in a page.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        var executable = RequiredTool.Find("/usr/bin/chromium", "chromium");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = executable,
            Headless = true,
            Timeout = 60_000,
            // No sandbox: the tests run as root in a container. The rest keeps Chromium off the network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
    }

    /// <summary>Opens <paramref name="url"/> in a fresh context of <paramref name="width"/>×<paramref name="height"/>.</summary>
    internal async Task<BrowserPage> OpenAsync(Uri url, int width = 1440, int height = 1000)
    {
        var context = await _browser!.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, Locale = "en-GB", TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var opened = new BrowserPage(context, page);
        await page.GotoAsync(url.ToString());
        return opened;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests' collection: one Chromium, tests one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<Chromium>
{
    public const string Name = "chromium";
}

/// <summary>A page in its own browser context, recording every console error and uncaught exception it produces.</summary>
internal sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    public BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add(error);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught exceptions so far (a CSP violation shows up here too).</summary>
    public IReadOnlyList<string> Errors
    {
        get { lock (_errors) { return [.. _errors]; } }
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
