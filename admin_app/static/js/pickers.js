/*
 * The date pickers in the page's language. Flask-Admin's form.js starts a
 * bootstrap-daterangepicker on every date and date-time field and list filter, with
 * English labels and moment's English month and day names. This script wraps the
 * jQuery plugin so that every picker, those added later by the filter menu too, gets
 * the locale that admin/master.html puts in this tag's data-locale
 * (i18n.date_picker_locale: babel's names, the first day of the week, our catalogue's
 * labels). master.html loads it before the plugin, which Flask-Admin's templates load
 * at the end of the page.
 *
 * The picker's own rendering is adjusted after each redraw: hours written with two
 * digits, as every screen writes times (09:05), and the year before the month where
 * the language writes it so (2026年 1月).
 */
(function ($) {
    'use strict';

    var script = document.currentScript;
    if (!$ || !script) {
        return;
    }
    var locale = JSON.parse(script.getAttribute('data-locale') || '{}');

    function twoDigitHours(container) {
        container.find('select.hourselect option').each(function () {
            if (this.textContent.length === 1) {
                this.textContent = '0' + this.textContent;
            }
        });
    }

    function yearBeforeMonth(container) {
        container.find('select.monthselect').each(function () {
            var month = $(this);
            month.siblings('select.yearselect').insertBefore(month);
        });
    }

    function adjustRendering(picker) {
        var render = picker.updateCalendars;
        picker.updateCalendars = function () {
            var result = render.apply(this, arguments);
            twoDigitHours(this.container);
            if (locale.yearFirst) {
                yearBeforeMonth(this.container);
            }
            return result;
        };
        picker.updateCalendars();
    }

    function localised(plugin) {
        return function (options, callback) {
            options = $.extend({}, options);
            options.locale = $.extend({}, locale, options.locale);
            plugin.call(this, options, callback);
            this.each(function () {
                var picker = $(this).data('daterangepicker');
                if (picker) {
                    adjustRendering(picker);
                }
            });
            return this;
        };
    }

    // daterangepicker.js is loaded after this script, and the filter script starts its
    // pickers as soon as it is loaded itself: wrap the plugin the moment it is defined.
    var current = $.fn.daterangepicker && localised($.fn.daterangepicker);
    Object.defineProperty($.fn, 'daterangepicker', {
        configurable: true,
        get: function () { return current; },
        set: function (plugin) { current = localised(plugin); }
    });
})(window.jQuery);
