/*
 * Select2's own messages ("No matches found", "Searching…") in the page's language.
 * Flask-Admin bundles Select2 3.5 without its locale files; the words come from our
 * catalogue, on #select2-messages (templates/admin/master.html), and replace Select2's
 * English defaults before Flask-Admin's form.js turns the selects into Select2 boxes.
 * "{n}" in a message stands for the number.
 */
(function ($) {
    'use strict';

    var holder = document.getElementById('select2-messages');
    if (!$ || !$.fn.select2 || !holder) {
        return;
    }
    var words = holder.dataset;

    function counted(one, many, n) {
        return (n === 1 ? one : many).replace('{n}', n);
    }

    $.extend($.fn.select2.defaults, {
        formatNoMatches: function () { return words.noMatches; },
        formatSearching: function () { return words.searching; },
        formatLoadMore: function () { return words.loadMore; },
        formatAjaxError: function () { return words.ajaxError; },
        formatInputTooShort: function (input, min) {
            return counted(words.inputTooShortOne, words.inputTooShort, min - input.length);
        },
        formatMatches: function (matches) {
            return counted(words.matchesOne, words.matches, matches);
        }
    });

    // The value box of an "in list" filter is a tags box, whose hint Flask-Admin's
    // form.js writes into its options in English: ours replaces it. Select2 reads its
    // defaults through $.fn.select2 as it runs, so they are carried over to the wrapper.
    var select2 = $.fn.select2;
    $.fn.select2 = function (options) {
        var args = Array.prototype.slice.call(arguments);
        if (options && typeof options === 'object' && options.tags !== undefined) {
            args[0] = $.extend({}, options, {
                formatNoMatches: function () { return words.tagsHint; }
            });
        }
        return select2.apply(this, args);
    };
    $.extend($.fn.select2, select2);
})(window.jQuery);
