/*
 * The behaviour Flask-Admin's templates bind with inline handlers (onclick="..."),
 * which our Content-Security-Policy refuses to run. The overridden templates in
 * templates/admin/ carry data-attributes instead; one delegated listener binds them,
 * so rows and inline forms added later work too.
 *
 *   data-confirm="text"           ask before the click goes on (the row delete button)
 *   data-model-action="name"      run a bulk action (modelActions from actions.js)
 *   data-add-inline-field="id"    add an inline form (faForm from form.js)
 *   href="javascript:..."         never followed: the policy would refuse and report it
 */
(function () {
    'use strict';

    function closest(target, selector) {
        return target instanceof Element ? target.closest(selector) : null;
    }

    function onClick(event) {
        var el = closest(event.target, '[data-confirm]');
        if (el && !window.confirm(el.getAttribute('data-confirm'))) {
            event.preventDefault();
            event.stopImmediatePropagation();
            return;
        }

        el = closest(event.target, '[data-model-action]');
        if (el && window.modelActions) {
            event.preventDefault();
            window.modelActions.execute(el.getAttribute('data-model-action'));
            return;
        }

        el = closest(event.target, '[data-add-inline-field]');
        if (el && window.faForm) {
            event.preventDefault();
            window.faForm.addInlineField(el, el.getAttribute('data-add-inline-field'));
            return;
        }

        el = closest(event.target, 'a[href]');
        if (el && /^\s*javascript:/i.test(el.getAttribute('href'))) {
            event.preventDefault();
        }
    }

    // The list's selection checkboxes carry only a title (Flask-Admin's list.html): give
    // them the same words as their accessible name, which a title alone is not for every
    // screen reader (axe label-title-only).
    function nameCheckboxes() {
        var boxes = document.querySelectorAll('input.action-rowtoggle[title], input.action-checkbox[title]');
        for (var i = 0; i < boxes.length; i++) {
            if (!boxes[i].hasAttribute('aria-label')) {
                boxes[i].setAttribute('aria-label', boxes[i].getAttribute('title'));
            }
        }
    }
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', nameCheckboxes);
    } else {
        nameCheckboxes();
    }

    // Capture phase: runs before any handler that might stop the event's propagation.
    document.addEventListener('click', onClick, true);
})();
