# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_linkpost_global_optspecs
    string join \n log-level= log-format= h/help V/version
end

function __fish_linkpost_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_linkpost_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_linkpost_using_subcommand
    set -l cmd (__fish_linkpost_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c linkpost -n "__fish_linkpost_needs_command" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_needs_command" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_needs_command" -s V -l version -d 'Print version'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "poll" -d 'Poll every feed once, write posts for new entries, and exit'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "check" -d 'Validate the configuration and exit (0 valid, 3 invalid); with `--fetch`, also fetch every feed once (2 when any failed)'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "run" -d 'Run as a daemon: poll each feed on its interval until SIGTERM/SIGINT; SIGHUP reloads the configuration'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "feeds" -d 'Show each feed\'s last poll, status, errors, next due time and posts'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "preview" -d 'Show the posts a feed would produce, writing nothing (to tune a selector)'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "drafts" -d 'List the drafts waiting for review, newest first'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "approve" -d 'Approve drafts: set `draft: false`, keeping every edit, and move them to `publish_dir` when it is set'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "reject" -d 'Reject drafts: move their files to the hidden folder `.linkpost-rejected` (kept for `reject_keep`); the articles are never written again unless restored'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "restore" -d 'Restore rejected drafts kept in `.linkpost-rejected`: drafts again'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "review" -d 'Serve the review page: read, edit, approve and reject drafts in a browser, until SIGTERM/SIGINT'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "add" -d 'Add a feed from its URL, a site\'s or an article\'s: finds the feed, shows what the first poll would write, and appends a [[feed]] to the config (comments kept)'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "import-opml" -d 'Add the feeds of an OPML file (another reader\'s export) to the config; folders become tags, feeds already there are skipped'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "completions" -d 'Print a shell\'s completion script for linkpost'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "manpages" -d 'Write the man pages (linkpost.1 and one per command) to a folder'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "export-opml" -d 'Print the feeds as an OPML 2.0 file, tags as folders and categories'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "fix-moved" -d 'Put the new URL of every moved feed (`linkpost feeds` says "moved to …") in the config file, keeping its comments'
complete -c linkpost -n "__fish_linkpost_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c linkpost -n "__fish_linkpost_using_subcommand poll" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand poll" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand poll" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand poll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -l fetch -d 'Also fetch every feed once and report whether it parses, its entries and its newest entry\'s date; writes nothing'
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -l json -d 'With `--fetch`, print one JSON array instead of text'
complete -c linkpost -n "__fish_linkpost_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand run" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand run" -l shutdown-grace -d 'Time polls in flight get to finish after SIGTERM/SIGINT' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand run" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand run" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand feeds" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand feeds" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand feeds" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand feeds" -l json -d 'Print one JSON array instead of a table'
complete -c linkpost -n "__fish_linkpost_using_subcommand feeds" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l selector -d 'CSS selector for the summary on each article page (repeat to try several in order)' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l exclude -d 'Elements removed from the article page first (repeatable). A CSS selector, as `summary_exclude`; the config\'s `exclude` filter is `--filter-exclude`' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l filter-include -d 'Keep only entries matching one of these patterns, as the config\'s `include` (repeatable): a case-insensitive regular expression, optionally after `title:`, `summary:`, `category:` or `url:`. Named `--filter-…` because `--exclude` already removes page elements' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l filter-exclude -d 'Keep out entries matching any of these patterns, as the config\'s `exclude` (repeatable), e.g. `--filter-exclude title:sponsor`' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -s c -l config -d 'A config file whose `[[feed]]` with this URL gives the `include` and `exclude` patterns (top-level ones included); `--filter-…` patterns add to them. Without it, preview uses no config' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l limit -d 'Show at most this many posts' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l fetch-article -d 'Fetch every article page and find its main content, without a selector (as `fetch_article = true`). By default only the pages of entries whose feed text is a teaser are fetched (`"auto"`)'
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l no-fetch-article -d 'Fetch no article page without a selector (as `fetch_article = false`)'
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l json -d 'Print one JSON array instead of text'
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -l allow-private-addresses -d 'Fetch article pages from loopback, private and link-local addresses even when the feed is not served from one'
complete -c linkpost -n "__fish_linkpost_using_subcommand preview" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand drafts" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand drafts" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand drafts" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand drafts" -l json -d 'Print one JSON array instead of text'
complete -c linkpost -n "__fish_linkpost_using_subcommand drafts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand approve" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand approve" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand approve" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand reject" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand reject" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand reject" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand reject" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand restore" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand restore" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand restore" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand review" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand review" -l listen -d 'Address and port to listen on (default: `review_listen`, else 127.0.0.1:8787). Anything but loopback needs `review_token`' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand review" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand review" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l name -d 'The feed\'s name (default: the feed\'s title, made unique)' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l tags -d 'Tags of the feed\'s posts, comma-separated' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l pick -d 'Which feed, when the page has several: its number in the list or its URL' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -l dry-run -d 'Show the change to the config, and write nothing'
complete -c linkpost -n "__fish_linkpost_using_subcommand add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand import-opml" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand import-opml" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand import-opml" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand import-opml" -l dry-run -d 'Show the change to the config, and write nothing'
complete -c linkpost -n "__fish_linkpost_using_subcommand import-opml" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand completions" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand completions" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand manpages" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand manpages" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand manpages" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand export-opml" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand export-opml" -s o -l output -d 'Write to this file instead of standard output' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand export-opml" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand export-opml" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand export-opml" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand fix-moved" -s c -l config -d 'The configuration file' -r -F
complete -c linkpost -n "__fish_linkpost_using_subcommand fix-moved" -l log-level -d 'Log level when RUST_LOG is not set: error, warn, info, debug, trace' -r
complete -c linkpost -n "__fish_linkpost_using_subcommand fix-moved" -l log-format -d 'Log format' -r -f -a "human\t'One readable line per event'
json\t'One JSON object per event'"
complete -c linkpost -n "__fish_linkpost_using_subcommand fix-moved" -l dry-run -d 'Print the change as a diff and write nothing'
complete -c linkpost -n "__fish_linkpost_using_subcommand fix-moved" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "poll" -d 'Poll every feed once, write posts for new entries, and exit'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "check" -d 'Validate the configuration and exit (0 valid, 3 invalid); with `--fetch`, also fetch every feed once (2 when any failed)'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "run" -d 'Run as a daemon: poll each feed on its interval until SIGTERM/SIGINT; SIGHUP reloads the configuration'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "feeds" -d 'Show each feed\'s last poll, status, errors, next due time and posts'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "preview" -d 'Show the posts a feed would produce, writing nothing (to tune a selector)'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "drafts" -d 'List the drafts waiting for review, newest first'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "approve" -d 'Approve drafts: set `draft: false`, keeping every edit, and move them to `publish_dir` when it is set'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "reject" -d 'Reject drafts: move their files to the hidden folder `.linkpost-rejected` (kept for `reject_keep`); the articles are never written again unless restored'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "restore" -d 'Restore rejected drafts kept in `.linkpost-rejected`: drafts again'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "review" -d 'Serve the review page: read, edit, approve and reject drafts in a browser, until SIGTERM/SIGINT'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "add" -d 'Add a feed from its URL, a site\'s or an article\'s: finds the feed, shows what the first poll would write, and appends a [[feed]] to the config (comments kept)'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "import-opml" -d 'Add the feeds of an OPML file (another reader\'s export) to the config; folders become tags, feeds already there are skipped'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "completions" -d 'Print a shell\'s completion script for linkpost'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "manpages" -d 'Write the man pages (linkpost.1 and one per command) to a folder'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "export-opml" -d 'Print the feeds as an OPML 2.0 file, tags as folders and categories'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "fix-moved" -d 'Put the new URL of every moved feed (`linkpost feeds` says "moved to …") in the config file, keeping its comments'
complete -c linkpost -n "__fish_linkpost_using_subcommand help; and not __fish_seen_subcommand_from poll check run feeds preview drafts approve reject restore review add import-opml completions manpages export-opml fix-moved help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
